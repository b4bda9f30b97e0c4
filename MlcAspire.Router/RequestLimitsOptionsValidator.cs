namespace MlcAspire.Router;

/// <summary>The rules DataAnnotations cannot express for <see cref="RequestLimitsOptions"/>; every message names the key.</summary>
internal sealed class RequestLimitsOptionsValidator(IOptions<RouterOptions> routerOptions) : IValidateOptions<RequestLimitsOptions>
{
    public ValidateOptionsResult Validate(string? name, RequestLimitsOptions options)
    {
        var failures = new List<string>();
        var key = RequestLimitsOptions.SectionName;
        if (options.MaxInFlightBodyBytes < routerOptions.Value.MaxRequestBodyBytes)
        {
            failures.Add($"{key}:{nameof(options.MaxInFlightBodyBytes)} ({options.MaxInFlightBodyBytes}) must be at least "
                + $"{RouterOptions.SectionName}:{nameof(RouterOptions.MaxRequestBodyBytes)} ({routerOptions.Value.MaxRequestBodyBytes}), or a body at the limit could never be admitted.");
        }

        TimerRange.Validate(failures, [($"Limits:{nameof(options.BodyReadTimeout)}", options.BodyReadTimeout)]);

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
