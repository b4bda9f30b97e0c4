namespace MlcAspire.Bench.Measurement;

/// <summary>Runs experiments against a topology: warm-up, then interleaved slices, reading the proxy's /proc figures
/// around every slice.</summary>
internal sealed class ExperimentRunner(BenchTopology topology, TextWriter progress)
{
    public async Task<ExperimentResult> RunAsync(Experiment experiment, CancellationToken cancellationToken)
    {
        var targets = experiment.Targets.Select(topology.Target).OfType<ILoadTarget>().ToArray();
        var pool = experiment.Workload.Prepare(topology.Model, seed: 1);
        progress.WriteLine($"== {experiment.Name}: {experiment.Workload}; {experiment.Shape}; " +
                           $"{experiment.Rounds} × {experiment.Slice.TotalSeconds:0.#} s per target");

        if (experiment.Warmup > TimeSpan.Zero)
        {
            foreach (var target in targets)
            {
                await RunSliceAsync(target, pool, experiment.Shape, experiment.Warmup, new SampleSink(), 0, cancellationToken);
            }
        }

        var sinks = targets.ToDictionary(t => t.Name, _ => new SampleSink());
        for (var round = 0; round < experiment.Rounds; round++)
        {
            for (var k = 0; k < targets.Length; k++)
            {
                var target = targets[(k + round) % targets.Length];
                await RunSliceAsync(target, pool, experiment.Shape, experiment.Slice, sinks[target.Name], round * 7919 + k, cancellationToken);
            }

            progress.Write($"  round {round + 1}/{experiment.Rounds}:");
            foreach (var target in targets)
            {
                var sink = sinks[target.Name];
                var samples = sink.Snapshot();
                progress.Write($" {target.Name} {samples.Length / Math.Max(sink.WallSeconds, 1e-9):0} req/s" +
                               $" ({samples.Count(s => s.Outcome != RequestOutcome.Ok)} err);");
            }

            progress.WriteLine();
        }

        return new ExperimentResult(
            experiment.Name,
            experiment.Description,
            experiment.Workload.ToString(),
            experiment.Shape.ToString() ?? "",
            experiment.Rounds,
            experiment.Slice.TotalSeconds,
            [.. targets.Select(t => TargetResult.From(t.Name, sinks[t.Name]))]);
    }

    private static async Task RunSliceAsync(
        ILoadTarget target, RequestSpec[] pool, LoadShape shape, TimeSpan slice, SampleSink sink, int seed, CancellationToken cancellationToken)
    {
        var before = target.ProxyPid is { } pid ? ProcessSnapshot.TryRead(pid) : null;
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(slice.TotalSeconds * Stopwatch.Frequency);
        await LoadDriver.RunAsync(target, pool, shape, deadline, sink, seed, cancellationToken);
        var wall = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var after = target.ProxyPid is { } p ? ProcessSnapshot.TryRead(p) : null;
        sink.AddSlice(wall, before, after);
    }
}
