namespace MlcAspire.Bench.Load;

/// <summary>One prepared <c>/v1/completions</c> request. The body is built once and reused, so that the load
/// generator allocates nothing per request for it.</summary>
/// <param name="recordChunkTimes">Keep every SSE event's arrival time (<see cref="RequestSample.Receipt"/>).</param>
internal sealed class RequestSpec(int[] promptTokens, int maxTokens, bool stream, byte[] body, bool recordChunkTimes = false)
{
    public int[] PromptTokens { get; } = promptTokens;

    public int MaxTokens { get; } = maxTokens;

    public bool Stream { get; } = stream;

    public byte[] Body { get; } = body;

    public bool RecordChunkTimes { get; } = recordChunkTimes;
}
