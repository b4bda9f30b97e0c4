namespace MlcAspire.Bench.Measurement;

/// <summary>One finished request. Times are <see cref="Stopwatch.GetTimestamp"/> ticks from the send.</summary>
/// <param name="TimeToFirstToken">First non-empty text chunk (a non-streamed request: the whole response).</param>
/// <param name="EndToEnd">Send to the end of the response body.</param>
/// <param name="OutputTokens">From <c>usage.completion_tokens</c>, else the number of text chunks.</param>
/// <param name="MeanChunkLatency">Mean over text chunks of (arrival − send); 0 when not streamed.</param>
/// <param name="Receipt">Every event's arrival, when the experiment pairs them with the engines' send times.</param>
internal readonly record struct RequestSample(
    RequestOutcome Outcome,
    long TimeToFirstToken,
    long EndToEnd,
    int OutputTokens,
    int Chunks,
    double MeanChunkLatency,
    StreamReceipt? Receipt = null)
{
    public static RequestSample Failed(RequestOutcome outcome, long endToEnd) => new(outcome, 0, endToEnd, 0, 0, 0);
}
