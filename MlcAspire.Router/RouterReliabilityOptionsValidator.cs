namespace MlcAspire.Router;

/// <summary>The timing rules DataAnnotations cannot express for <see cref="RouterReliabilityOptions"/>; every message names the key.</summary>
internal sealed class RouterReliabilityOptionsValidator : IValidateOptions<RouterReliabilityOptions>
{
    public ValidateOptionsResult Validate(string? name, RouterReliabilityOptions options)
    {
        var failures = new List<string>();
        TimerRange.Validate(failures,
        [
            (nameof(options.QueueTimeout), options.QueueTimeout),
            (nameof(options.BreakDuration), options.BreakDuration),
            (nameof(options.ProbeInterval), options.ProbeInterval),
            (nameof(options.ProbeTimeout), options.ProbeTimeout),
            (nameof(options.StuckTimeout), options.StuckTimeout),
            (nameof(options.DrainTimeout), options.DrainTimeout),
        ]);

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
