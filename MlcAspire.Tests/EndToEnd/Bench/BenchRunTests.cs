using MlcAspire.Bench;
using MlcAspire.Bench.Measurement;
using MlcAspire.Bench.Topology;

namespace MlcAspire.Tests.EndToEnd.Bench;

/// <summary>The bench's smoke preset against real processes: two timing-mode reference engines, a round-robin and a
/// disagg router (started as the AppHost starts them), and nginx when it is installed.</summary>
[Trait("Category", "EndToEnd")]
public sealed class BenchRunTests
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task SmokePreset_RealTopology_ReportsRequestsWithoutErrorsOrderedPercentilesAndChunkDelivery()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(DefaultTimeout);
        var options = BenchOptions.Parse(["smoke"], TextWriter.Null)!;
        var workDirectory = Path.Combine(Path.GetTempPath(), $"mlcaspire-bench-{Guid.NewGuid():N}");

        var report = await BenchRun.RunAsync(options, workDirectory, TextWriter.Null, timeout.Token);

        string[] expected = NginxProxy.FindExecutable() is null
            ? [TargetNames.Direct, TargetNames.EnginePd, TargetNames.RouterRoundRobin, TargetNames.RouterDisagg]
            : [TargetNames.Direct, TargetNames.EnginePd, TargetNames.RouterRoundRobin, TargetNames.RouterDisagg, TargetNames.Nginx];
        Assert.Equal(["smoke-completions", "smoke-streams"], report.Experiments.Select(e => e.Name));
        foreach (var experiment in report.Experiments)
        {
            Assert.Equal(expected.Order(), experiment.Targets.Select(t => t.Target).Order());
            foreach (var target in experiment.Targets)
            {
                var what = $"{experiment.Name}/{target.Target}";
                Assert.True(target.Requests > 0, $"{what}: no requests");
                Assert.True(target.Errors == 0, $"{what}: {string.Join(", ", target.ErrorsByOutcome)}");
                Assert.True(target.OutputTokensPerSecond > 0, $"{what}: no output tokens");
                AssertOrdered(target.EndToEndMs, what);
                AssertOrdered(target.TimeToFirstTokenMs, what);
                Assert.True(target.TimeToFirstTokenMs.P50 <= target.EndToEndMs.P50, $"{what}: TTFT after the end");
            }
        }

        var streams = report.Experiments[1];
        Assert.All(streams.Targets, t => AssertOrdered(t.TimePerOutputTokenMs, $"smoke-streams/{t.Target} TPOT"));
        var router = streams[TargetNames.RouterRoundRobin]!;
        Assert.NotNull(router.ProxyCpuCores);
        Assert.True(router.ProxyPeakRssMiB > 0);

        // Per-chunk delivery (engine send → client receipt) is paired on every target; direct's is transport only.
        foreach (var target in streams.Targets)
        {
            var delivery = Assert.IsType<ChunkDeliveryResult>(target.ChunkDelivery);
            Assert.True(delivery.LatencyMs.Count > 0, $"smoke-streams/{target.Target}: no chunk paired with an engine send time");
            Assert.True(double.IsFinite(delivery.LatencyMs.Mean) && double.IsFinite(delivery.LatencyMs.Max), $"smoke-streams/{target.Target}: {delivery}");
        }

        AssertOrdered(streams[TargetNames.Direct]!.ChunkDelivery!.LatencyMs, "smoke-streams/direct chunk delivery");
        var added = Assert.Single(report.Derived, d => d.Name.StartsWith("router-added time per relayed chunk", StringComparison.Ordinal));
        Assert.True(double.IsFinite(added.P50) && double.IsFinite(added.P90) && double.IsFinite(added.P99), $"{added}");
    }

    private static void AssertOrdered(Distribution distribution, string what)
    {
        Assert.True(distribution.Count > 0, $"{what}: empty distribution");
        Assert.True(0 <= distribution.P50 && distribution.P50 <= distribution.P90 && distribution.P90 <= distribution.P99
                    && distribution.P99 <= distribution.Max, $"{what}: percentiles out of order {distribution}");
    }
}
