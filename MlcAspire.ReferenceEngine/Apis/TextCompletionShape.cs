using System.Text.Json;
using MlcAspire.ReferenceEngine.Protocol;
using MlcAspire.ReferenceEngine.Serving;

namespace MlcAspire.ReferenceEngine.Apis;

/// <summary>MLC's <c>text_completion</c> answers and chunks (mlc-protocol.md §2.3): echo first, suffix last.</summary>
internal sealed class TextCompletionShape(CompletionRequest request, PreparedCompletion prepared) : IResponseShape
{
    public IEnumerable<string> Opening(string id, long created) => request.Echo
        ? [Serialize(new CompletionResponse(id, [.. Enumerable.Range(0, request.ChoiceCount).Select(i => new CompletionChoice(null, i, null, prepared.PromptText))], created, request.Model, null))]
        : [];

    public string? Chunk(string id, long created, TokensEvent tokens, string?[] finishReasons)
    {
        foreach (var choice in tokens.Choices.Where(c => c.FinishReason is not null))
        {
            finishReasons[choice.Index] = choice.FinishReason;
        }

        return Serialize(new CompletionResponse(id, [.. tokens.Choices.Select(ToChoice)], created, request.Model, null));
    }

    public IEnumerable<string> Closing(string id, long created, string?[] finishReasons) => request.Suffix is not null
        ? [Serialize(new CompletionResponse(id, [.. finishReasons.Select((reason, i) => new CompletionChoice(reason, i, null, request.Suffix))], created, request.Model, null))]
        : [];

    public string UsageChunk(string id, long created, CompletionUsage usage) => Serialize(new CompletionResponse(id, [], created, request.Model, usage));

    public IResult Answer(string id, long created, CollectedChoices choices, CompletionUsage usage) =>
        TypedResults.Json(
            new CompletionResponse(
                id,
                [.. Enumerable.Range(0, request.ChoiceCount).Select(i => new CompletionChoice(
                    choices.FinishReasons[i],
                    i,
                    ToLogprobs(choices.Logprobs[i], request.Logprobs is not null),
                    (request.Echo ? prepared.PromptText : "") + choices.Texts[i] + request.Suffix))],
                created,
                request.Model,
                usage),
            EngineJson.Context.CompletionResponse);

    private static string Serialize(CompletionResponse response) => JsonSerializer.Serialize(response, EngineJson.Context.CompletionResponse);

    private static CompletionChoice ToChoice(ChoiceDelta delta) =>
        new(delta.FinishReason, delta.Index, ToLogprobs(delta.Logprobs, delta.Logprobs.Count > 0), delta.Text);

    private static CompletionLogprobs? ToLogprobs(IReadOnlyList<TokenLogprob> logprobs, bool requested) => requested
        ? new CompletionLogprobs(
            null,
            [.. logprobs.Select(l => l.Logprob)],
            [.. logprobs.Select(l => l.Token)],
            [.. logprobs.Select(l => l.TopLogprobs.DistinctBy(p => p.Key).ToDictionary(p => p.Key, p => p.Value))])
        : null;
}
