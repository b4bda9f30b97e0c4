using MlcAspire.Bench;
using MlcAspire.Bench.Measurement;
using MlcAspire.Bench.Reporting;
using MlcAspire.Bench.Topology;

namespace MlcAspire.Tests.EndToEnd.Bench;

/// <summary>The bench's smoke preset against real processes: two timing-mode reference engines, a round-robin and a
/// disagg router (started as the AppHost starts them), and nginx when it is installed.</summary>
[Trait("Category", "EndToEnd")]
public sealed class BenchRunTests
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task SmokePreset_RealTopology_ReportsRequestsWithoutErrorsOrderedPercentilesChunkDeliveryAndProxyFigures()
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

        AssertProxyFigures(report, nginx: expected.Contains(TargetNames.Nginx));
    }

    /// <summary>Issue 15's figures: each proxy's CPU and context switches per request, its syscalls per request where perf
    /// can count them, what router and nginx add over direct, and the ratio checks: present and sane, never timed.</summary>
    private static void AssertProxyFigures(BenchReport report, bool nginx)
    {
        var completions = report.Experiments[0];
        string[] proxies = nginx ? [TargetNames.RouterRoundRobin, TargetNames.RouterDisagg, TargetNames.Nginx] : [TargetNames.RouterRoundRobin, TargetNames.RouterDisagg];
        foreach (var proxy in proxies.Select(name => completions[name]!))
        {
            Assert.True(proxy.ProxyCpuMsPerRequest is > 0 and < double.PositiveInfinity, $"{proxy.Target}: CPU per request {proxy.ProxyCpuMsPerRequest}");
            Assert.True(proxy.ProxyContextSwitchesPerRequest is > 0 and < double.PositiveInfinity,
                $"{proxy.Target}: context switches per request {proxy.ProxyContextSwitchesPerRequest}");
        }

        Assert.Null(completions[TargetNames.Direct]!.ProxyContextSwitchesPerRequest);
        var counting = Assert.IsType<string>(completions.SyscallCounting);
        // Perf counts where it is installed, the kernel has the tracepoint and the bench may attach it (as root; otherwise
        // perf_event_paranoid decides, and the report says why it did not count).
        if (Executables.Find("perf") is not null && Directory.Exists("/sys/kernel/tracing/events/raw_syscalls") && Environment.UserName == "root")
        {
            Assert.StartsWith("perf stat", counting, StringComparison.Ordinal);
            foreach (var proxy in proxies.Select(name => completions[name]!))
            {
                var syscalls = Assert.IsType<SyscallCount>(proxy.Syscalls);
                Assert.True(syscalls.Requests > 0 && syscalls.PerRequest is > 0 and < double.PositiveInfinity, $"{proxy.Target}: {syscalls}");
            }
        }
        else
        {
            Assert.StartsWith("not counted", counting, StringComparison.Ordinal);
        }

        string[] latencyRatios = ["router-added / nginx-added latency p50", "router-added / nginx-added latency p99", "router CPU per request / nginx's"];
        if (!nginx)
        {
            Assert.DoesNotContain(report.Checks, c => c.Name.Contains("nginx", StringComparison.Ordinal));
            return;
        }

        foreach (var name in latencyRatios.Append("router-added / nginx-added time per relayed chunk p50"))
        {
            var check = Assert.Single(report.Checks, c => c.Name.StartsWith(name, StringComparison.Ordinal));
            Assert.True(double.IsFinite(check.Measured) || check.Status == "NOISY", $"{check}");
            Assert.True(check.Status is "MET" or "MISSED" or "NOISY", $"{check}");
            Assert.Contains("nginx", check.Detail, StringComparison.Ordinal);
        }

        Assert.True(report.Checks.Single(c => c.Name.StartsWith("router CPU per request", StringComparison.Ordinal)).Measured > 0);
        foreach (var what in new[] { "latency, closed loop of 4", "time per relayed chunk" })
        {
            var nginxAdded = Assert.Single(report.Derived, d => d.Name.StartsWith($"nginx-added {what}", StringComparison.Ordinal));
            Assert.True(double.IsFinite(nginxAdded.P50) && double.IsFinite(nginxAdded.P99), $"{nginxAdded}");
        }
    }

    private static void AssertOrdered(Distribution distribution, string what)
    {
        Assert.True(distribution.Count > 0, $"{what}: empty distribution");
        Assert.True(0 <= distribution.P50 && distribution.P50 <= distribution.P90 && distribution.P90 <= distribution.P99
                    && distribution.P99 <= distribution.Max, $"{what}: percentiles out of order {distribution}");
    }
}
