namespace MlcAspire.Bench.Measurement;

/// <summary>One finished request. Times are <see cref="Stopwatch.GetTimestamp"/> ticks from the send.</summary>
/// <param name="TimeToFirstToken">First non-empty text chunk (a non-streamed request: the whole response).</param>
/// <param name="EndToEnd">Send to the end of the response body.</param>
/// <param name="OutputTokens">From <c>usage.completion_tokens</c>, else the number of text chunks.</param>
/// <param name="MeanChunkLatency">Mean over text chunks of (arrival − send); 0 when not streamed.</param>
internal readonly record struct RequestSample(
    RequestOutcome Outcome,
    long TimeToFirstToken,
    long EndToEnd,
    int OutputTokens,
    int Chunks,
    double MeanChunkLatency)
{
    public static RequestSample Failed(RequestOutcome outcome, long endToEnd) => new(outcome, 0, endToEnd, 0, 0, 0);
}
