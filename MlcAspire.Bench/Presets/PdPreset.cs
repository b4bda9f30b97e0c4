namespace MlcAspire.Bench.Presets;

/// <summary>The MicroServing blog's experiment on timing-mode engines that model prefill interference: round-robin
/// vs 1P1D vs 1P1D with balance 0.1 on long prompts and short outputs, at rising request rates.</summary>
internal sealed class PdPreset : IPreset
{
    /// <summary>The blog's LLMPerf workload: mean 3,000 prompt tokens, 100 output tokens.</summary>
    private static readonly Workload PrefillHeavy = new(LengthDistribution.Fixed(3000), LengthDistribution.Fixed(100), Stream: true);

    private static readonly double[] Rates = [1, 2, 3, 4, 5];

    public string Name => "pd";

    public IReadOnlyList<RouterSpec> Routers { get; } =
    [
        new(TargetNames.RouterRoundRobin, RouterSpec.RoundRobin),
        new(TargetNames.RouterDisagg, RouterSpec.Disagg),
        new(TargetNames.RouterDisaggBalanced, RouterSpec.Disagg, PdBalanceFactor: 0.1),
    ];

    public bool WithNginx => false;

    public int MaxConcurrency(BenchOptions options) => 512;

    public async Task RunAsync(PresetContext context, CancellationToken cancellationToken)
    {
        var handoff = await context.RunAsync(new Experiment(
            "pd-handoff", "disagg TTFT through the router vs the same MicroServing calls made by the client",
            PrefillHeavy, new LoadShape.Open(0.5), [TargetNames.EnginePd, TargetNames.RouterDisagg],
            Rounds: 4, context.Seconds(10), context.Seconds(2)), cancellationToken);
        var added = context.Report.AddDifference("disagg TTFT over the engines' own prefill + transfer (router-disagg − engine-pd)",
            handoff, TargetNames.RouterDisagg, TargetNames.EnginePd, t => t.TimeToFirstTokenMs);
        context.Report.AddCheck("disagg TTFT over engines' prefill + transfer, p50", "<=", 1.5, added?.P50, "ms");

        foreach (var rate in Rates)
        {
            await context.RunAsync(new Experiment(
                $"pd@{rate:0.#}rps", "round-robin vs 1P1D vs 1P1D balance 0.1 (TTFT, TPOT, JCT = E2E)", PrefillHeavy,
                new LoadShape.Open(rate), [TargetNames.RouterRoundRobin, TargetNames.RouterDisagg, TargetNames.RouterDisaggBalanced],
                Rounds: 3, context.Seconds(20), context.Seconds(3)), cancellationToken);
        }
    }
}
