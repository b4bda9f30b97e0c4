using MlcAspire.ReferenceEngine.Protocol;
using MlcAspire.ReferenceEngine.Serving;

namespace MlcAspire.ReferenceEngine.Apis;

/// <summary>How a request's engine events become its answer: <c>text_completion</c> or <c>chat.completion</c> JSON.</summary>
internal interface IResponseShape
{
    /// <summary>Chunks sent before the first token (the completion's echo).</summary>
    IEnumerable<string> Opening(string id, long created);

    /// <summary>The chunk for one step's deltas; null when the step has nothing to send.</summary>
    string? Chunk(string id, long created, TokensEvent tokens, string?[] finishReasons);

    /// <summary>Chunks sent after the last token, before the usage chunk (the completion's suffix).</summary>
    IEnumerable<string> Closing(string id, long created, string?[] finishReasons);

    string UsageChunk(string id, long created, CompletionUsage usage);

    /// <summary>The non-streamed answer from the joined choices.</summary>
    IResult Answer(string id, long created, CollectedChoices choices, CompletionUsage usage);
}

/// <summary>What a non-streamed request gathered per choice: text, first finish reason, log-probabilities.</summary>
internal sealed class CollectedChoices(int count)
{
    public System.Text.StringBuilder[] Texts { get; } = [.. Enumerable.Range(0, count).Select(_ => new System.Text.StringBuilder())];

    public string?[] FinishReasons { get; } = new string?[count];

    public List<TokenLogprob>[] Logprobs { get; } = [.. Enumerable.Range(0, count).Select(_ => new List<TokenLogprob>())];

    public void Add(TokensEvent tokens)
    {
        foreach (var choice in tokens.Choices)
        {
            Texts[choice.Index].Append(choice.Text);
            FinishReasons[choice.Index] ??= choice.FinishReason;
            Logprobs[choice.Index].AddRange(choice.Logprobs);
        }
    }
}
