using System.Globalization;

namespace MlcAspire.Bench.Presets;

/// <summary>What relaying SSE costs: added latency per chunk, then thousands of concurrent slow streams.</summary>
internal sealed class StreamingPreset : IPreset
{
    private static readonly Workload Chunks = new(LengthDistribution.Fixed(32), LengthDistribution.Fixed(32), Stream: true);

    /// <summary>With <see cref="TimingProfiles.SlowStreams"/>, each stream stays open for about 20 s.</summary>
    private static readonly Workload Slow = new(LengthDistribution.Fixed(16), LengthDistribution.Fixed(40), Stream: true);

    public string Name => "streaming";

    public int MaxConcurrency(BenchOptions options) => options.Streams + 64;

    public async Task RunAsync(PresetContext context, CancellationToken cancellationToken)
    {
        await MeasureChunkLatencyAsync(context, cancellationToken);
        await MeasureManyStreamsAsync(context, cancellationToken);
    }

    private static async Task MeasureChunkLatencyAsync(PresetContext context, CancellationToken cancellationToken)
    {
        // Only this topology's engines log send times: the many-streams experiment needs none, and would write millions.
        await using var topology = await context.StartTopologyAsync("streaming-chunks",
            [new(TargetNames.RouterRoundRobin, RouterSpec.RoundRobin)], TimingProfiles.Streaming with { RecordChunkTimes = true },
            withNginx: true, cancellationToken);
        var chunks = await context.RunAsync(topology, new Experiment(
            "chunk-latency", "per-chunk delivery (engine send → client receipt, paired by chunk id and sequence number)", Chunks,
            new LoadShape.Closed(8), [TargetNames.Direct, TargetNames.RouterRoundRobin, TargetNames.Nginx],
            Rounds: 6, context.Seconds(5), context.Seconds(2), RecordChunkTimes: true, CountSyscalls: true), cancellationToken);
        // Each event is measured from the moment the engine flushed it, so the engine's step phase, queueing and the
        // forwarding of the request cancel out: what is left per event is transport, plus the proxy's relay when there is one.
        ProxyRatios.AddChunkRelay(context.Report, chunks);
        ProxyRatios.NoteCpuPerChunk(context.Report, chunks);
    }

    private static async Task MeasureManyStreamsAsync(PresetContext context, CancellationToken cancellationToken)
    {
        var streams = context.Options.Streams;
        // What is measured is how many streams the router can hold, not its admission control, whose default (32 in
        // flight per engine, docs/reliability.md) would answer most of them 429 at once: admit them all.
        var admitAll = new Dictionary<string, string>
        {
            ["Router:MaxInFlightPerEngine"] = streams.ToString(CultureInfo.InvariantCulture),
            ["Router:MaxQueuedRequests"] = streams.ToString(CultureInfo.InvariantCulture),
        };
        await using var topology = await context.StartTopologyAsync("streaming-many",
            [new(TargetNames.RouterRoundRobin, RouterSpec.RoundRobin, Settings: admitAll)], TimingProfiles.SlowStreams, withNginx: false, cancellationToken);
        var many = await context.RunAsync(topology, new Experiment(
            "many-streams", $"{streams} concurrent slow streams through the round-robin router", Slow,
            new LoadShape.Closed(streams), [TargetNames.RouterRoundRobin],
            Rounds: 1, context.Seconds(60), Warmup: TimeSpan.Zero), cancellationToken);
        var result = many[TargetNames.RouterRoundRobin];
        context.Report.AddCheck($"errors with {streams} concurrent slow streams", "<=", 0, result?.Errors, "errors");
        context.Report.AddCheck($"router peak memory with {streams} concurrent slow streams", "<=", 1024, result?.ProxyPeakRssMiB, "MiB");
    }
}
