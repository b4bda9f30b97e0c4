namespace MlcAspire.Bench.Measurement;

/// <summary>Pairs the client's SSE receipts with the engines' send times (<c>MLC_REFERENCE_CHUNK_TIMES</c>).</summary>
/// <remarks>
/// Every event counts, the first one too. The engine stamps an event once it has flushed it, so queueing, prefill and
/// the proxy's forwarding of the request (what TTFT holds) all happen before the stamp and stay out of the figure;
/// what remains of the first event is the proxy starting its response (status line and headers), which is a real cost
/// of relaying that chunk. It is one event in about 34 per stream here, so it shows in p99 rather than p50.
/// </remarks>
internal static class ChunkDelivery
{
    /// <summary>Client receipt − engine send, in milliseconds, for every event that has an engine record.</summary>
    public static ChunkDeliveryResult Join(IEnumerable<StreamReceipt> receipts, IReadOnlyDictionary<string, long[]> sent)
    {
        var latencies = new List<double>();
        var unpaired = 0;
        foreach (var receipt in receipts)
        {
            var engine = sent.GetValueOrDefault(receipt.Id) ?? [];
            for (var seq = 0; seq < receipt.ReceivedAt.Length; seq++)
            {
                if (seq < engine.Length && engine[seq] != Missing)
                {
                    latencies.Add(Distribution.TicksToMs(receipt.ReceivedAt[seq] - engine[seq]));
                }
                else
                {
                    unpaired++;
                }
            }
        }

        return new ChunkDeliveryResult(Distribution.Of([.. latencies]), unpaired);
    }

    /// <summary>True when <paramref name="sent"/> has a record for every event of every receipt.</summary>
    public static bool Covers(IEnumerable<StreamReceipt> receipts, IReadOnlyDictionary<string, long[]> sent) =>
        receipts.All(r => sent.TryGetValue(r.Id, out var engine) && engine.Length >= r.ReceivedAt.Length
                          && engine.AsSpan(0, r.ReceivedAt.Length).IndexOf(Missing) < 0);

    /// <summary>A target's delivery latency, or null when it was not measured or nothing paired.</summary>
    public static Distribution? LatencyOf(TargetResult target) =>
        target.ChunkDelivery is { LatencyMs.Count: > 0 } delivery ? delivery.LatencyMs : null;

    /// <summary>A sequence number the log has no record of (a record was dropped, or is not flushed yet).</summary>
    public const long Missing = long.MinValue;
}
