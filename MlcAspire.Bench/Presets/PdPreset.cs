namespace MlcAspire.Bench.Presets;

/// <summary>The MicroServing blog's experiment on timing-mode engines that model prefill interference: round-robin
/// vs 1P1D vs 1P1D with balance 0.1 on long prompts and short outputs, at rising request rates.</summary>
internal sealed class PdPreset : IPreset
{
    /// <summary>The blog's LLMPerf workload: mean 3,000 prompt tokens, 100 output tokens.</summary>
    private static readonly Workload PrefillHeavy = new(LengthDistribution.Fixed(3000), LengthDistribution.Fixed(100), Stream: true);

    /// <summary>Rates as fractions of one engine's prefill capacity (1 / prefill time of one prompt): 1P1D's prefill
    /// engine saturates at 1.0, round-robin's two engines at about 2.</summary>
    private static readonly double[] LoadFactors = [0.3, 0.6, 0.9, 1.2];

    public string Name => "pd";

    public int MaxConcurrency(BenchOptions options) => 512;

    public async Task RunAsync(PresetContext context, CancellationToken cancellationToken)
    {
        await using var topology = await context.StartTopologyAsync("pd",
        [
            new(TargetNames.RouterRoundRobin, RouterSpec.RoundRobin),
            new(TargetNames.RouterDisagg, RouterSpec.Disagg),
            new(TargetNames.RouterDisaggBalanced, RouterSpec.Disagg, PdBalanceFactor: 0.1),
        ], TimingProfiles.PrefillInterference, withNginx: false, cancellationToken);

        var prefillCapacity = 1 / (PrefillHeavy.PromptTokens.Max * TimingProfiles.PdPrefillSecondsPerToken);
        // One request at a time and a few output tokens: no queueing, so TTFT is the handoff itself and the
        // difference between the two targets is what the router adds to it.
        var handoff = await context.RunAsync(topology, new Experiment(
            "pd-handoff", "disagg TTFT through the router vs the same MicroServing calls made by the client",
            PrefillHeavy with { OutputTokens = LengthDistribution.Fixed(4) }, new LoadShape.Closed(1),
            [TargetNames.EnginePd, TargetNames.RouterDisagg], Rounds: 6, context.Seconds(10), context.Seconds(2), CountSyscalls: true),
            cancellationToken);
        var added = context.Report.AddDifference("disagg handoff: TTFT over the client-driven baseline (router-disagg − engine-pd)",
            handoff, TargetNames.RouterDisagg, TargetNames.EnginePd, t => t.TimeToFirstTokenMs);
        context.Report.AddCheck("disagg handoff: TTFT over the client-driven baseline p50", "<=", 1.5, added?.P50, "ms", isDifference: true,
            detail: handoff[TargetNames.RouterDisagg] is { } router && handoff[TargetNames.EnginePd] is { } baseline
                ? FormattableString.Invariant($"TTFT p50 router-disagg {router.TimeToFirstTokenMs.P50:0.00} ms − engine-pd {baseline.TimeToFirstTokenMs.P50:0.00} ms")
                : null);

        foreach (var factor in LoadFactors)
        {
            var rate = prefillCapacity * factor;
            await context.RunAsync(topology, new Experiment(
                $"pd@{rate:0.0#}rps", "round-robin vs 1P1D vs 1P1D balance 0.1 (TTFT, TPOT, JCT = E2E)", PrefillHeavy,
                new LoadShape.Open(rate), [TargetNames.RouterRoundRobin, TargetNames.RouterDisagg, TargetNames.RouterDisaggBalanced],
                Rounds: 3, context.Seconds(20), context.Seconds(3)), cancellationToken);
        }
    }
}
