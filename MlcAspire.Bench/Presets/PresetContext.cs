using MlcAspire.Bench.Reporting;

namespace MlcAspire.Bench.Presets;

internal sealed class PresetContext(BenchOptions options, ExperimentRunner runner, ReportBuilder report)
{
    public BenchOptions Options => options;

    public ReportBuilder Report => report;

    public TimeSpan Seconds(double seconds) => options.Seconds(seconds);

    public async Task<ExperimentResult> RunAsync(Experiment experiment, CancellationToken cancellationToken)
    {
        var result = await runner.RunAsync(experiment, cancellationToken);
        report.Experiments.Add(result);
        return result;
    }

    /// <summary>The round-robin router's saturation throughput for a workload: a closed loop with many more
    /// clients than the engines need, so that the router (and the shared CPU) is the limit.</summary>
    public async Task<double> SaturationAsync(Workload workload, CancellationToken cancellationToken)
    {
        var result = await RunAsync(new Experiment(
            "saturation", "round-robin router at saturation (closed loop, concurrency 128)", workload,
            new LoadShape.Closed(128), [TargetNames.RouterRoundRobin], Rounds: 2, Seconds(5), Seconds(2)), cancellationToken);
        return result[TargetNames.RouterRoundRobin]?.RequestsPerSecond ?? 0;
    }
}
