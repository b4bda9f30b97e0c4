namespace MlcAspire.Bench.Load;

/// <summary>
/// Runs one job of sessions against a target on a <see cref="SessionPacing"/> schedule and records every request. A
/// turn is sent when it is due, or when the turn before it is answered if that comes later (the next prompt extends
/// the last one, so it cannot go before the answer); such a turn counts as late.
/// </summary>
internal static class SessionDriver
{
    /// <summary>
    /// Returns the job completion time (first send to last answer) and the mean session completion time, in seconds, and
    /// how many turns went later than due because the answer before them came late.
    /// </summary>
    public static async Task<(double Job, double MeanSession, int LateTurns)> RunAsync(
        ILoadTarget target, IReadOnlyList<RequestSpec[]> sessions, double[][] due, SampleSink sink, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var late = 0;
        var durations = await Task.WhenAll(sessions.Select(async (turns, s) =>
        {
            await WaitUntilAsync(started, due[s][0], cancellationToken);
            var begun = Stopwatch.GetTimestamp();
            for (var t = 0; t < turns.Length; t++)
            {
                if (t > 0 && !await WaitUntilAsync(started, due[s][t], cancellationToken))
                {
                    Interlocked.Increment(ref late);
                }

                sink.Add(await target.SendAsync(turns[t], cancellationToken));
            }

            return Stopwatch.GetElapsedTime(begun).TotalSeconds;
        }));
        return (Stopwatch.GetElapsedTime(started).TotalSeconds, durations.Average(), late);
    }

    /// <summary>Waits until <paramref name="seconds"/> after <paramref name="started"/>; false when that time had already passed.</summary>
    private static async Task<bool> WaitUntilAsync(long started, double seconds, CancellationToken cancellationToken)
    {
        var wait = TimeSpan.FromSeconds(seconds) - Stopwatch.GetElapsedTime(started);
        if (wait <= TimeSpan.Zero)
        {
            // Yield all the same, so that starting the sessions is not serialized on their first sends.
            await Task.Yield();
            return wait > -TimeSpan.FromMilliseconds(1);
        }

        await Task.Delay(wait, cancellationToken);
        return true;
    }
}
