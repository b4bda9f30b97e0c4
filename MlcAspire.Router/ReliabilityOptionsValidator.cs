namespace MlcAspire.Router;

/// <summary>The timing rules DataAnnotations cannot express for <see cref="ReliabilityOptions"/>; every message names the key.</summary>
internal sealed class ReliabilityOptionsValidator : IValidateOptions<ReliabilityOptions>
{
    /// <summary>
    /// The range .NET timers accept (PeriodicTimer, CancellationTokenSource.CancelAfter, Task.Delay): whole milliseconds
    /// from 1 to 2^32 − 2. Outside it they throw when first used, long after a start that looked fine.
    /// </summary>
    public static readonly TimeSpan MinTimeout = TimeSpan.FromMilliseconds(1);

    /// <inheritdoc cref="MinTimeout"/>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    public ValidateOptionsResult Validate(string? name, ReliabilityOptions options)
    {
        var failures = new List<string>();
        var key = RouterOptions.SectionName;

        foreach (var (timeout, value) in new[]
        {
            (nameof(options.QueueTimeout), options.QueueTimeout),
            (nameof(options.BreakDuration), options.BreakDuration),
            (nameof(options.ProbeInterval), options.ProbeInterval),
            (nameof(options.ProbeTimeout), options.ProbeTimeout),
            (nameof(options.StuckTimeout), options.StuckTimeout),
            (nameof(options.DrainTimeout), options.DrainTimeout),
        })
        {
            if (Check(key, timeout, value) is { } failure)
            {
                failures.Add(failure);
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The failure message for a timing value a timer would reject, or null when it is in range.</summary>
    public static string? Check(string key, string timeout, TimeSpan value) =>
        value < MinTimeout ? $"{key}:{timeout} must be positive (at least 1 ms)."
        : value > MaxTimeout ? $"{key}:{timeout} must be at most {MaxTimeout} (the longest .NET timer)."
        : null;
}
