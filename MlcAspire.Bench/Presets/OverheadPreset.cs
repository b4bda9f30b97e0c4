namespace MlcAspire.Bench.Presets;

/// <summary>Router-added latency at half of the router's saturation throughput, and throughput against nginx.</summary>
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
        context.Report.AddCheck("round-robin throughput / nginx throughput", ">=", 0.7,
            throughput[TargetNames.Nginx] is { RequestsPerSecond: > 0 } nginx ? saturation / nginx.RequestsPerSecond : null, "×");

        var latency = await context.RunAsync(topology, new Experiment(
            "latency", "router-added latency at half the round-robin router's saturation throughput", Short,
            new LoadShape.Open(Math.Max(saturation / 2, 1)),
            [TargetNames.Direct, TargetNames.RouterRoundRobin, TargetNames.Nginx],
            Rounds: 6, context.Seconds(5), context.Seconds(2)), cancellationToken);
        var added = context.Report.AddDifference("router-added latency, round-robin (router-rr − direct, E2E)",
            latency, TargetNames.RouterRoundRobin, TargetNames.Direct, t => t.EndToEndMs);
        context.Report.AddDifference("nginx-added latency (nginx − direct, E2E)",
            latency, TargetNames.Nginx, TargetNames.Direct, t => t.EndToEndMs);
        context.Report.AddCheck("router-added latency p50, round-robin, short non-streamed, half saturation", "<=", 0.3, added?.P50, "ms", isDifference: true);
        context.Report.AddCheck("router-added latency p99, round-robin, short non-streamed, half saturation", "<=", 2, added?.P99, "ms", isDifference: true);

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
