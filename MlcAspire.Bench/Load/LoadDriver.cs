namespace MlcAspire.Bench.Load;

/// <summary>Offers load to one target for one slice of time and records every finished request.</summary>
internal static class LoadDriver
{
    /// <summary>Runs until <paramref name="deadline"/> (a <see cref="Stopwatch"/> timestamp), then waits for the
    /// requests in flight, so that every request started in the slice is recorded.</summary>
    public static Task RunAsync(
        ILoadTarget target, RequestSpec[] pool, LoadShape shape, long deadline, SampleSink sink, int seed, CancellationToken cancellationToken) =>
        shape switch
        {
            LoadShape.Closed closed => RunClosedAsync(target, pool, closed.Concurrency, deadline, sink, seed, cancellationToken),
            LoadShape.Open open => RunOpenAsync(target, pool, open.RequestsPerSecond, deadline, sink, seed, cancellationToken),
            _ => throw new UnreachableException(),
        };

    private static Task RunClosedAsync(
        ILoadTarget target, RequestSpec[] pool, int concurrency, long deadline, SampleSink sink, int seed, CancellationToken cancellationToken)
    {
        var clients = new Task[concurrency];
        for (var i = 0; i < clients.Length; i++)
        {
            clients[i] = ClientAsync(new Random(seed + i));
        }

        return Task.WhenAll(clients);

        async Task ClientAsync(Random random)
        {
            // Return to the caller at once, so that starting thousands of clients is not serialized on their first sends.
            await Task.Yield();
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var sample = await target.SendAsync(pool[random.Next(pool.Length)], cancellationToken);
                sink.Add(sample);
            }
        }
    }

    private static async Task RunOpenAsync(
        ILoadTarget target, RequestSpec[] pool, double rate, long deadline, SampleSink sink, int seed, CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        var inFlight = new List<Task>();
        var next = Stopwatch.GetTimestamp();
        while (next < deadline)
        {
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
            // Timers tick in about 1 ms on Linux: sleep through longer gaps, send at once when the arrival is
            // under a millisecond away (arrivals are at most that early, never late because of the client).
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait - TimeSpan.FromMilliseconds(0.5), cancellationToken);
                continue;
            }

            inFlight.Add(SendAsync(pool[random.Next(pool.Length)]));
            var gapSeconds = -Math.Log(1 - random.NextDouble()) / rate;
            next += (long)(gapSeconds * Stopwatch.Frequency);
        }

        await Task.WhenAll(inFlight);

        async Task SendAsync(RequestSpec spec)
        {
            var sample = await target.SendAsync(spec, cancellationToken);
            sink.Add(sample);
        }
    }
}
