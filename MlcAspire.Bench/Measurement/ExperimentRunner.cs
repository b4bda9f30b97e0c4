namespace MlcAspire.Bench.Measurement;

/// <summary>Runs experiments against a topology: warm-up, then interleaved slices, reading the proxy's /proc figures
/// around every slice.</summary>
internal sealed class ExperimentRunner(BenchTopology topology, TextWriter progress)
{
    /// <summary>How long to wait for the engines to write the send times of the last events: they flush once idle
    /// for 100 ms, so this is only reached when some events have no record at all.</summary>
    private static readonly TimeSpan ChunkLogWait = TimeSpan.FromSeconds(2);

    public async Task<ExperimentResult> RunAsync(Experiment experiment, CancellationToken cancellationToken)
    {
        var targets = experiment.Targets.Select(topology.Target).OfType<ILoadTarget>().ToArray();
        var pool = experiment.Workload.Prepare(topology.Model, seed: 1, experiment.RecordChunkTimes);
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

        var delivery = experiment.RecordChunkTimes ? await JoinChunkTimesAsync(sinks, cancellationToken) : null;
        var (syscalls, counting) = experiment.CountSyscalls ? await CountSyscallsAsync(targets, pool, experiment, cancellationToken) : ([], null);
        return new ExperimentResult(
            experiment.Name,
            experiment.Description,
            experiment.Workload.ToString(),
            experiment.Shape.ToString() ?? "",
            experiment.Rounds,
            experiment.Slice.TotalSeconds,
            [.. targets.Select(t => TargetResult.From(t.Name, sinks[t.Name], delivery?.GetValueOrDefault(t.Name), syscalls.GetValueOrDefault(t.Name)))],
            counting);
    }

    /// <summary>One more slice per target with a proxy process, with perf attached to it (nginx: master and workers);
    /// the load is the experiment's. Returns the counts and how they were counted, or why they were not.</summary>
    private async Task<(Dictionary<string, SyscallCount> Counts, string Counting)> CountSyscallsAsync(
        ILoadTarget[] targets, RequestSpec[] pool, Experiment experiment, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, SyscallCount>();
        foreach (var target in targets)
        {
            if (target.ProxyPid is not { } pid)
            {
                continue;
            }

            var (counter, why) = await SyscallCounter.StartAsync(
                ProcessSnapshot.Tree(pid), topology.WorkDirectory, $"perf-{experiment.Name}-{target.Name}", cancellationToken);
            if (counter is null)
            {
                progress.WriteLine($"  syscalls not counted: {why}");
                return (counts, $"not counted: {why}");
            }

            await using (counter)
            {
                var sink = new SampleSink();
                await RunSliceAsync(target, pool, experiment.Shape, experiment.Slice, sink, seed: 104_729, cancellationToken);
                if (await counter.StopAsync(cancellationToken) is not { } syscalls)
                {
                    return (counts, $"not counted: perf printed no {SyscallCounter.Event} count (see {counter.LogPath})");
                }

                counts[target.Name] = new SyscallCount(sink.Snapshot().Length, syscalls);
                progress.WriteLine($"  {target.Name}: {counts[target.Name].PerRequest:0.0} syscalls per request");
            }
        }

        return (counts, $"perf stat -e {SyscallCounter.Event} on the proxy's processes, one more slice per target, apart from the measured ones");
    }

    /// <summary>Pairs each target's received events with the engines' send times, reading only the log records
    /// written since the previous experiment and only those of this experiment's streams.</summary>
    private async Task<Dictionary<string, ChunkDeliveryResult>?> JoinChunkTimesAsync(
        Dictionary<string, SampleSink> sinks, CancellationToken cancellationToken)
    {
        if (topology.ChunkTimeLogs.Count == 0)
        {
            progress.WriteLine("  chunk delivery not measured: the engines keep no send-time log (attached engines).");
            return null;
        }

        var receipts = sinks.ToDictionary(s => s.Key, s => s.Value.Receipts());
        var wanted = receipts.Values.SelectMany(r => r).Select(r => r.Id).ToHashSet();
        var sent = new Dictionary<string, long[]>();
        var deadline = Stopwatch.GetTimestamp() + (long)(ChunkLogWait.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            foreach (var log in topology.ChunkTimeLogs)
            {
                log.ReadNew(wanted, sent);
            }

            if (receipts.Values.All(r => ChunkDelivery.Covers(r, sent)) || Stopwatch.GetTimestamp() > deadline)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }

        foreach (var (name, sink) in sinks.Where(s => s.Value.ReceiptsDropped > 0))
        {
            progress.WriteLine($"  {name}: {sink.ReceiptsDropped} streams left out of chunk delivery (over {SampleSink.MaxReceiptEvents} events).");
        }

        return receipts.ToDictionary(r => r.Key, r => ChunkDelivery.Join(r.Value, sent));
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
