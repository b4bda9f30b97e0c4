namespace MlcAspire.Bench.Presets;

/// <summary>A few seconds of every target and both request kinds: proves the bench and the topology work.</summary>
internal sealed class SmokePreset : IPreset
{
    public string Name => "smoke";

    public int MaxConcurrency(BenchOptions options) => 16;

    public async Task RunAsync(PresetContext context, CancellationToken cancellationToken)
    {
        await using var topology = await context.StartTopologyAsync("smoke",
            [new(TargetNames.RouterRoundRobin, RouterSpec.RoundRobin), new(TargetNames.RouterDisagg, RouterSpec.Disagg)],
            TimingProfiles.Streaming with { RecordChunkTimes = true }, withNginx: true, cancellationToken);
        string[] all = [TargetNames.Direct, TargetNames.EnginePd, TargetNames.RouterRoundRobin, TargetNames.RouterDisagg, TargetNames.Nginx];
        var completions = await context.RunAsync(topology, new Experiment(
            "smoke-completions", "non-streamed completions on every target",
            new Workload(new LengthDistribution(8, 32), LengthDistribution.Fixed(4), Stream: false),
            new LoadShape.Closed(4), all, Rounds: 2, context.Seconds(0.75), context.Seconds(0.25), CountSyscalls: true), cancellationToken);
        ProxyRatios.AddLatencyAndCpu(context.Report, completions, "closed loop of 4");

        var streams = await context.RunAsync(topology, new Experiment(
            "smoke-streams", "streamed completions on every target (Poisson arrivals)",
            new Workload(new LengthDistribution(8, 32), LengthDistribution.Fixed(8), Stream: true),
            new LoadShape.Open(20), all, Rounds: 2, context.Seconds(0.75), context.Seconds(0.25), RecordChunkTimes: true), cancellationToken);
        ProxyRatios.AddChunkRelay(context.Report, streams);
    }
}
