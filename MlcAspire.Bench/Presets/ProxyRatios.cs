using System.Globalization;
using MlcAspire.Bench.Reporting;

namespace MlcAspire.Bench.Presets;

/// <summary>
/// Issue 15's targets, which compare the round-robin router with nginx on the same engines in the same interleaved
/// experiment: what each adds over going direct (per percentile), the ratio of the two, and CPU per request. A ratio
/// to nginx holds on any machine where an absolute figure holds only on the one it was set on.
/// </summary>
internal static class ProxyRatios
{
    /// <summary>With nothing queued, the router may add at most this much more than nginx at p50 (ms).</summary>
    public const double OneAtATimeExcessMs = 0.1;

    /// <summary>Router-added and nginx-added E2E latency per percentile; router-added / nginx-added at p50 (≤ 1.0)
    /// and p99 (≤ 1.5); router CPU per request / nginx's (≤ 2).</summary>
    public static void AddLatencyAndCpu(ReportBuilder report, ExperimentResult experiment, string load)
    {
        var (router, nginx) = Added(report, experiment, $"latency, {load}", t => t.EndToEndMs, "E2E");
        report.AddRatioCheck($"router-added / nginx-added latency p50, {load}", "<=", 1.0, ("router", router?.P50), ("nginx", nginx?.P50), "ms");
        report.AddRatioCheck($"router-added / nginx-added latency p99, {load}", "<=", 1.5, ("router", router?.P99), ("nginx", nginx?.P99), "ms");
        report.AddRatioCheck($"router CPU per request / nginx's, {load}", "<=", 2.0,
            ("router", experiment[TargetNames.RouterRoundRobin]?.ProxyCpuMsPerRequest), ("nginx", experiment[TargetNames.Nginx]?.ProxyCpuMsPerRequest), "ms");
    }

    /// <summary>One request at a time: the router adds at most <see cref="OneAtATimeExcessMs"/> beyond what nginx adds, at p50.</summary>
    public static void AddOneAtATime(ReportBuilder report, ExperimentResult experiment)
    {
        var (router, nginx) = Added(report, experiment, "latency, one at a time", t => t.EndToEndMs, "E2E");
        report.AddCheck("router-added − nginx-added latency p50, one at a time", "<=", OneAtATimeExcessMs, router?.P50 - nginx?.P50, "ms",
            detail: router is null || nginx is null ? null : string.Create(CultureInfo.InvariantCulture,
                $"router-added {router.P50:0.000} ms − nginx-added {nginx.P50:0.000} ms"));
    }

    /// <summary>Router-added and nginx-added time per relayed chunk (engine send → client receipt); router / nginx at p50 (≤ 1.0).</summary>
    public static void AddChunkRelay(ReportBuilder report, ExperimentResult experiment)
    {
        var (router, nginx) = Added(report, experiment, "time per relayed chunk", ChunkDelivery.LatencyOf, "engine send → client receipt");
        report.AddRatioCheck("router-added / nginx-added time per relayed chunk p50", "<=", 1.0, ("router", router?.P50), ("nginx", nginx?.P50), "ms");
    }

    /// <summary>The proxy's CPU per relayed chunk (CPU time over the slices / chunks received), as report notes.</summary>
    public static void NoteCpuPerChunk(ReportBuilder report, ExperimentResult experiment)
    {
        foreach (var target in experiment.Targets)
        {
            if (target is { ProxyCpuCores: { } cores, OutputTokensPerSecond: > 0 })
            {
                report.Notes.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{target.Target} CPU per relayed chunk: {cores / target.OutputTokensPerSecond * 1e6:0.0} µs (CPU time / chunks, {experiment.Name})."));
            }
        }
    }

    private static (DerivedMetric? Router, DerivedMetric? Nginx) Added(
        ReportBuilder report, ExperimentResult experiment, string what, Func<TargetResult, Distribution?> metric, string measuredAs) =>
        (report.AddDifference($"router-added {what} (router-rr − direct, {measuredAs})", experiment, TargetNames.RouterRoundRobin, TargetNames.Direct, metric),
         report.AddDifference($"nginx-added {what} (nginx − direct, {measuredAs})", experiment, TargetNames.Nginx, TargetNames.Direct, metric));
}
