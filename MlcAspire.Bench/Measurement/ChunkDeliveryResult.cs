namespace MlcAspire.Bench.Measurement;

/// <summary>Per-chunk delivery latency of one target: client receipt − engine send, over every event paired by
/// (chunk id, sequence number) with an engine's send-time log.</summary>
/// <param name="Unpaired">Received events with no engine record (the engine dropped it, or the id was rewritten).</param>
internal sealed record ChunkDeliveryResult(Distribution LatencyMs, int Unpaired);
