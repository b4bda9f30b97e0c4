namespace MlcAspire.Bench.Load;

/// <summary>
/// Runs one job of sessions against a target: every session at once, each sending its next turn when the last one
/// is answered (a chat user or an agent loop), and records every request.
/// </summary>
internal static class SessionDriver
{
    /// <summary>Returns the job completion time (first send to last answer) and the mean session completion time, in seconds.</summary>
    public static async Task<(double Job, double MeanSession)> RunAsync(
        ILoadTarget target, IReadOnlyList<RequestSpec[]> sessions, SampleSink sink, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var durations = await Task.WhenAll(sessions.Select(async turns =>
        {
            // Return to the caller at once, so that starting the sessions is not serialized on their first sends.
            await Task.Yield();
            var begun = Stopwatch.GetTimestamp();
            foreach (var turn in turns)
            {
                sink.Add(await target.SendAsync(turn, cancellationToken));
            }

            return Stopwatch.GetElapsedTime(begun).TotalSeconds;
        }));
        return (Stopwatch.GetElapsedTime(started).TotalSeconds, durations.Average());
    }
}
