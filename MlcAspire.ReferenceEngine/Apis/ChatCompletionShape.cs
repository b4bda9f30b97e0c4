using System.Text;
using System.Text.Json;
using MlcAspire.Contracts;
using MlcAspire.ReferenceEngine.Protocol;
using MlcAspire.ReferenceEngine.Serving;

namespace MlcAspire.ReferenceEngine.Apis;

/// <summary>
/// MLC's <c>chat.completion</c> answers and <c>chat.completion.chunk</c>s: each chunk's delta has the assistant role and
/// the step's text; a step with no text is skipped unless it finishes a choice. When tools turned function calling on,
/// choices finish with <c>tool_calls</c>, and a joined answer's text must parse as calls (else <c>error</c>).
/// </summary>
internal sealed class ChatCompletionShape(ChatCompletionRequest request, PreparedCompletion prepared) : IResponseShape
{
    private const string InvalidCallText = "Got an invalid function call output from model";

    public IEnumerable<string> Opening(string id, long created) => [];

    public string? Chunk(string id, long created, TokensEvent tokens, string?[] finishReasons)
    {
        var choices = new List<ChatChunkChoice>(tokens.Choices.Count);
        foreach (var delta in tokens.Choices)
        {
            var finished = delta.FinishReason is not null && finishReasons[delta.Index] is null;
            if (finished)
            {
                finishReasons[delta.Index] = prepared.UsesFunctionCalling ? FinishReasons.ToolCalls : delta.FinishReason;
            }

            if (!finished && delta.Text.Length == 0)
            {
                continue;
            }

            choices.Add(new ChatChunkChoice(finishReasons[delta.Index], delta.Index, ChatMessageBody.Assistant(delta.Text), ToLogprobs(delta.Logprobs)));
        }

        return choices.Count == 0 ? null : Serialize(id, choices, created, null);
    }

    public IEnumerable<string> Closing(string id, long created, string?[] finishReasons) => [];

    public string UsageChunk(string id, long created, CompletionUsage usage) =>
        Serialize(id, [], created, usage);

    public IResult Answer(string id, long created, CollectedChoices choices, CompletionUsage usage)
    {
        var answer = new List<ChatChoice>(request.ChoiceCount);
        for (var i = 0; i < request.ChoiceCount; i++)
        {
            var text = choices.Texts[i].ToString();
            var finish = choices.FinishReasons[i];
            var message = ChatMessageBody.Assistant(text);
            if (prepared.UsesFunctionCalling)
            {
                // MLC parses the text as Python calls; this engine's model never writes one, so its text is reported as MLC
                // reports text that does not parse.
                (message, finish) = (ChatMessageBody.Assistant(InvalidCallText), FinishReasons.Error);
            }

            answer.Add(new ChatChoice(finish, i, message, request.Logprobs ? new ChatLogprobs([.. choices.Logprobs[i].Select(ToTokenLogprob)]) : null));
        }

        return TypedResults.Json(
            new ChatCompletionResponse<ChatChoice>(id, answer, created, request.Model, "", ChatCompletionResponse<ChatChoice>.Completion, usage),
            EngineJson.Context.ChatCompletionResponseChatChoice);
    }

    private string Serialize(string id, IReadOnlyList<ChatChunkChoice> choices, long created, CompletionUsage? usage) => JsonSerializer.Serialize(
        new ChatCompletionResponse<ChatChunkChoice>(id, choices, created, request.Model, "", ChatCompletionResponse<ChatChunkChoice>.Chunk, usage),
        EngineJson.Context.ChatCompletionResponseChatChunkChoice);

    private ChatLogprobs? ToLogprobs(IReadOnlyList<TokenLogprob> logprobs) =>
        request.Logprobs ? new ChatLogprobs([.. logprobs.Select(ToTokenLogprob)]) : null;

    private static ChatTokenLogprob ToTokenLogprob(TokenLogprob logprob) => new(
        logprob.Token,
        logprob.Logprob,
        Bytes(logprob.Token),
        [.. logprob.TopLogprobs.DistinctBy(p => p.Key).Select(p => new ChatTopLogprob(p.Key, p.Value, Bytes(p.Key)))]);

    private static int[] Bytes(string token) => [.. Encoding.UTF8.GetBytes(token).Select(b => (int)b)];
}
