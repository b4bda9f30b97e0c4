using MlcAspire.Bench.Reporting;

namespace MlcAspire.Bench.Presets;

/// <summary>What a preset runs with: a way to start topologies, the experiment runner and the report.</summary>
internal sealed class PresetContext(BenchOptions options, string workDirectory, HttpClient http, TextWriter progress, ReportBuilder report)
{
    public BenchOptions Options => options;

    public ReportBuilder Report => report;

    public HttpClient Http => http;

    public TextWriter Progress => progress;

    public TimeSpan Seconds(double seconds) => options.Seconds(seconds);

    /// <summary>Starts two timing-mode engines with <paramref name="engines"/>, the routers and nginx, or attaches
    /// to the processes named on the command line (the seam: <see cref="ITopologyStarter"/>).</summary>
    public async Task<BenchTopology> StartTopologyAsync(
        string phase, IReadOnlyList<RouterSpec> routers, EngineSettings engines, bool withNginx, CancellationToken cancellationToken,
        int engineCount = 2, bool prefixCache = false)
    {
        var directory = Path.Combine(workDirectory, phase);
        ITopologyStarter starter = options.Engines.Count > 0
            ? new AttachedTopologyStarter(options.Engines, options.Routers, http)
            : new AppHostTopologyStarter(directory);
        var request = new TopologyRequest(options.Model ?? BenchPaths.TimingModel, engineCount, routers, engines, prefixCache);
        progress.WriteLine($"Starting the {phase} topology (logs in {directory}) ...");
        var topology = await BenchTopology.StartAsync(starter, request, withNginx, directory, http, cancellationToken);
        foreach (var note in topology.Notes.Where(n => !report.Notes.Contains(n)))
        {
            report.Notes.Add(note);
        }

        if (engines.Timing.Count > 0)
        {
            report.Notes.Add($"{phase}: engines in timing mode with {TimingModelVariant.Describe(engines.Timing)}{engines.ExtraOverrides.Replace(';', ' ')}.");
        }

        return topology;
    }

    public async Task<ExperimentResult> RunAsync(BenchTopology topology, Experiment experiment, CancellationToken cancellationToken)
    {
        var result = await new ExperimentRunner(topology, progress).RunAsync(experiment, cancellationToken);
        report.Experiments.Add(result);
        return result;
    }

    /// <summary>The round-robin router's saturation throughput for a workload: a closed loop with many more
    /// clients than the engines need, so that the router (and the shared CPU) is the limit. The long warm-up lets the
    /// router's JIT reach tier 1 first: a cold router under-states saturation, and then every "half" rate with it.</summary>
    public async Task<double> SaturationAsync(BenchTopology topology, Workload workload, CancellationToken cancellationToken)
    {
        var result = await RunAsync(topology, new Experiment(
            "saturation", "round-robin router at saturation (closed loop, concurrency 128)", workload,
            new LoadShape.Closed(128), [TargetNames.RouterRoundRobin], Rounds: 3, Seconds(4), Warmup: Seconds(5)), cancellationToken);
        return result[TargetNames.RouterRoundRobin]?.RequestsPerSecond ?? 0;
    }
}
