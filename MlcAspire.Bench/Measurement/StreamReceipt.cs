namespace MlcAspire.Bench.Measurement;

/// <summary>When the client received each SSE data event of one streamed completion (not <c>[DONE]</c>).</summary>
/// <param name="Id">The chunks' <c>id</c>: the engine request id, which a router relays unchanged.</param>
/// <param name="ReceivedAt"><see cref="Stopwatch.GetTimestamp"/> per event, indexed by its position in the response.</param>
internal sealed record StreamReceipt(string Id, long[] ReceivedAt);
