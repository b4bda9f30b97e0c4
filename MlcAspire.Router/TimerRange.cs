namespace MlcAspire.Router;

/// <summary>
/// The range .NET timers accept (PeriodicTimer, CancellationTokenSource.CancelAfter, Task.Delay): whole milliseconds
/// from 1 to 2^32 − 2. Outside it they throw (or, below a millisecond, fire at once) when first used, long after a
/// start that looked fine, so every timing setting of the <c>Router</c> section is checked against it at start.
/// </summary>
internal static class TimerRange
{
    public static readonly TimeSpan Min = TimeSpan.FromMilliseconds(1);

    public static readonly TimeSpan Max = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    /// <summary>Adds a failure naming the key for every timing a timer would reject; zero passes only where it is listed as allowed.</summary>
    public static void Validate(List<string> failures, IEnumerable<(string Name, TimeSpan Value)> timings, params string[] zeroAllowed)
    {
        foreach (var (name, value) in timings)
        {
            var key = $"{RouterOptions.SectionName}:{name}";
            if (value == TimeSpan.Zero && zeroAllowed.Contains(name))
            {
                continue;
            }

            if (value < Min)
            {
                failures.Add($"{key} must be positive (at least 1 ms).");
            }
            else if (value > Max)
            {
                failures.Add($"{key} must be at most {Max} (the longest .NET timer).");
            }
        }
    }
}
