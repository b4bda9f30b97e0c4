using System.Text.Json.Serialization;

namespace MlcAspire.Bench.Measurement;

/// <summary>What one target did in one experiment. Rates and latencies count successful requests only (a fast
/// error must not look like throughput); latencies are in milliseconds.</summary>
/// <param name="ProxyCpuMsPerRequest">The proxy's CPU time over the slices per request sent (nginx: master and workers).</param>
/// <param name="ProxyContextSwitchesPerRequest">The proxy's threads' context switches over the slices per request sent.</param>
/// <param name="ChunkDelivery">Engine send → client receipt per streamed event, when the experiment recorded it.</param>
/// <param name="Syscalls">The proxy's syscalls per request, counted in a slice of their own, when the experiment counted them.</param>
internal sealed record TargetResult(
    string Target,
    int Requests,
    int Errors,
    IReadOnlyDictionary<string, int> ErrorsByOutcome,
    double Seconds,
    double RequestsPerSecond,
    double OutputTokensPerSecond,
    Distribution TimeToFirstTokenMs,
    Distribution TimePerOutputTokenMs,
    Distribution EndToEndMs,
    Distribution MeanChunkLatencyMs,
    double? ProxyCpuCores,
    double? ProxyCpuMsPerRequest,
    double? ProxyContextSwitchesPerRequest,
    [property: JsonPropertyName("proxy_peak_rss_mib")] double? ProxyPeakRssMiB,
    [property: JsonPropertyName("proxy_rss_mib_by_slice")] IReadOnlyList<double> ProxyRssMiBBySlice,
    ChunkDeliveryResult? ChunkDelivery = null,
    SyscallCount? Syscalls = null)
{
    public static TargetResult From(string target, SampleSink sink, ChunkDeliveryResult? chunkDelivery = null, SyscallCount? syscalls = null)
    {
        var samples = sink.Snapshot();
        var ok = samples.Where(s => s.Outcome == RequestOutcome.Ok).ToArray();
        var errors = samples.Where(s => s.Outcome != RequestOutcome.Ok)
            .GroupBy(s => s.Outcome.ToString()).ToDictionary(g => g.Key, g => g.Count());
        var seconds = sink.WallSeconds;
        var streamed = ok.Where(s => s.Chunks > 0).ToArray();
        return new(
            target,
            samples.Length,
            samples.Length - ok.Length,
            errors,
            seconds,
            seconds > 0 ? ok.Length / seconds : 0,
            seconds > 0 ? ok.Sum(s => (double)s.OutputTokens) / seconds : 0,
            Distribution.Of([.. ok.Select(s => Distribution.TicksToMs(s.TimeToFirstToken))]),
            Distribution.Of([.. streamed.Where(s => s.OutputTokens > 1)
                .Select(s => Distribution.TicksToMs(s.EndToEnd - s.TimeToFirstToken) / (s.OutputTokens - 1))]),
            Distribution.Of([.. ok.Select(s => Distribution.TicksToMs(s.EndToEnd))]),
            Distribution.Of([.. streamed.Select(s => Distribution.TicksToMs(s.MeanChunkLatency))]),
            sink.HasProxy ? sink.ProxyCpuSeconds / seconds : null,
            sink.HasProxy && samples.Length > 0 ? sink.ProxyCpuSeconds * 1000 / samples.Length : null,
            sink.HasProxy && samples.Length > 0 ? (double)sink.ProxyContextSwitches / samples.Length : null,
            sink.HasProxy ? sink.ProxyPeakRssBytes / 1048576.0 : null,
            sink.RssBySlice.Select(b => b / 1048576.0).ToArray(),
            chunkDelivery,
            syscalls);
    }
}
