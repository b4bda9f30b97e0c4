namespace MlcAspire.Bench.Presets;

/// <summary>Throughput against nginx; router-added against nginx-added latency and CPU per request at half of the router's
/// saturation throughput and one request at a time (with syscalls per request); the disagg router's added latency.</summary>
internal sealed class OverheadPreset : IPreset
{
    /// <summary>Short non-streamed completions: the request path, not token relay, dominates.</summary>
    private static readonly Workload Short = new(LengthDistribution.Fixed(32), LengthDistribution.Fixed(4), Stream: false);

    public string Name => "overhead";

    public int MaxConcurrency(BenchOptions options) => 256;

    public async Task RunAsync(PresetContext context, CancellationToken cancellationToken)
    {
        await using var topology = await context.StartTopologyAsync("overhead",
            [new(TargetNames.RouterRoundRobin, RouterSpec.RoundRobin), new(TargetNames.RouterDisagg, RouterSpec.Disagg)],
            TimingProfiles.Fast, withNginx: true, cancellationToken);
        // Saturation first, interleaved with nginx: its round-robin figure is also the rate that "half saturation" halves.
        var throughput = await context.RunAsync(topology, new Experiment(
            "throughput", "saturation throughput, round-robin router vs nginx on the same engines", Short,
            new LoadShape.Closed(128), [TargetNames.RouterRoundRobin, TargetNames.Nginx],
            Rounds: 5, context.Seconds(4), Warmup: context.Seconds(5)), cancellationToken);
        var saturation = throughput[TargetNames.RouterRoundRobin]?.RequestsPerSecond ?? 0;
        context.Report.AddRatioCheck("round-robin router throughput / nginx's, saturation", ">=", 1.0,
            ("router", saturation), ("nginx", throughput[TargetNames.Nginx]?.RequestsPerSecond), "req/s");

        var latency = await context.RunAsync(topology, new Experiment(
            "latency", "router-added latency at half the round-robin router's saturation throughput", Short,
            new LoadShape.Open(Math.Max(saturation / 2, 1)),
            [TargetNames.Direct, TargetNames.RouterRoundRobin, TargetNames.Nginx],
            Rounds: 6, context.Seconds(5), context.Seconds(2)), cancellationToken);
        ProxyRatios.AddLatencyAndCpu(context.Report, latency, "half saturation");

        // With no queueing, what a proxy adds is its own path: CPU, hops, wake-ups (docs/bench.md, "One request at a
        // time"). After the loaded experiments, so that the router runs JIT-optimized code; short slices, many rounds.
        var single = await context.RunAsync(topology, new Experiment(
            "one-at-a-time", "one request at a time (closed loop of 1): what each proxy adds with nothing queued; then syscalls", Short,
            new LoadShape.Closed(1), [TargetNames.Direct, TargetNames.Nginx, TargetNames.RouterRoundRobin],
            Rounds: 10, context.Seconds(0.5), context.Seconds(1), CountSyscalls: true), cancellationToken);
        ProxyRatios.AddOneAtATime(context.Report, single);

        // A 1P1D pair saturates far below round-robin's two engines (one engine prefills every request), so the disagg
        // router is compared with direct at half of its own saturation, not at a rate its engines cannot serve. It runs
        // after the round-robin figures: the backlog a saturated 1P1D pair leaves behind would fall on the next slice.
        var disaggThroughput = await context.RunAsync(topology, new Experiment(
            "throughput-disagg", "saturation throughput of the disagg router (1P1D)", Short,
            new LoadShape.Closed(128), [TargetNames.RouterDisagg], Rounds: 3, context.Seconds(4), Warmup: context.Seconds(3)), cancellationToken);
        var disaggSaturation = disaggThroughput[TargetNames.RouterDisagg]?.RequestsPerSecond ?? 0;
        var disaggLatency = await context.RunAsync(topology, new Experiment(
            "latency-disagg", "router-added latency at half the disagg router's saturation throughput", Short,
            new LoadShape.Open(Math.Max(disaggSaturation / 2, 1)), [TargetNames.Direct, TargetNames.RouterDisagg],
            Rounds: 6, context.Seconds(5), context.Seconds(2)), cancellationToken);
        context.Report.AddDifference("router-added latency, disagg (router-disagg − direct, E2E)",
            disaggLatency, TargetNames.RouterDisagg, TargetNames.Direct, t => t.EndToEndMs);
    }
}
