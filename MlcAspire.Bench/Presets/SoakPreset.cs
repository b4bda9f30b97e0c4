namespace MlcAspire.Bench.Presets;

/// <summary>Ten minutes at half saturation through the round-robin router, watching its memory.</summary>
internal sealed class SoakPreset : IPreset
{
    private const int Slices = 60;

    /// <summary>The first minute is warm-up (JIT, pools, GC heap sizing); growth is measured after it.</summary>
    private const int WarmupSlices = 6;

    private static readonly Workload Mixed = new(new LengthDistribution(16, 256), new LengthDistribution(4, 64), Stream: true);

    public string Name => "soak";

    public int MaxConcurrency(BenchOptions options) => 512;

    public async Task RunAsync(PresetContext context, CancellationToken cancellationToken)
    {
        await using var topology = await context.StartTopologyAsync("soak",
            [new(TargetNames.RouterRoundRobin, RouterSpec.RoundRobin)], TimingProfiles.Streaming, withNginx: false, cancellationToken);
        var saturation = await context.SaturationAsync(topology, Mixed, cancellationToken);
        var soak = await context.RunAsync(topology, new Experiment(
            "soak", "half saturation through the round-robin router; router RSS after every slice", Mixed,
            new LoadShape.Open(Math.Max(saturation / 2, 1)), [TargetNames.RouterRoundRobin],
            Rounds: Slices, context.Seconds(10), Warmup: TimeSpan.Zero), cancellationToken);

        var rss = soak[TargetNames.RouterRoundRobin]?.ProxyRssMiBBySlice ?? [];
        double? growth = null;
        if (rss.Count >= 2 * WarmupSlices)
        {
            var afterWarmup = rss.Skip(WarmupSlices).Take(WarmupSlices).Average();
            var atEnd = rss.TakeLast(WarmupSlices).Average();
            growth = (atEnd - afterWarmup) / afterWarmup * 100;
        }

        context.Report.AddCheck("router memory growth after warm-up (RSS, last minute vs second minute)", "<", 5, growth, "%");
    }
}
