using System.Text.RegularExpressions;

namespace MlcAspire.Router;

/// <summary>The per-engine and cross-field rules DataAnnotations cannot express; every message names the key.</summary>
internal sealed partial class RouterOptionsValidator : IValidateOptions<RouterOptions>
{
    public ValidateOptionsResult Validate(string? name, RouterOptions options)
    {
        var failures = new List<string>();
        var key = RouterOptions.SectionName;

        for (var k = 0; k < options.Engines.Count; k++)
        {
            var engine = options.Engines[k];
            if (!ResourceName().IsMatch(engine.Name))
            {
                failures.Add($"{key}:Engines:{k}:Name '{engine.Name}' must be a kebab-case resource name such as 'engine-0' (it is called as http://<name>).");
            }

            if (engine.PeStart < 0)
            {
                failures.Add($"{key}:Engines:{k}:PeStart must not be negative.");
            }

            if (!Enum.IsDefined(engine.Role))
            {
                failures.Add($"{key}:Engines:{k}:Role must be Prefill, Decode or Both.");
            }

            if (options.Engines.FindIndex(e => e.Name == engine.Name) != k)
            {
                failures.Add($"{key}:Engines:{k}:Name '{engine.Name}' is listed twice.");
            }
        }

        if (options.Mode == RouterMode.Disagg)
        {
            if (!options.Engines.Exists(e => e.Role is EngineRole.Prefill or EngineRole.Both))
            {
                failures.Add($"{key}:Engines needs at least one engine with Role Prefill or Both when {key}:Mode is disagg.");
            }

            if (!options.Engines.Exists(e => e.Role is EngineRole.Decode or EngineRole.Both))
            {
                failures.Add($"{key}:Engines needs at least one engine with Role Decode or Both when {key}:Mode is disagg.");
            }

            // Disaggregation needs token ids, so the tokenizer must be there at start, not at the first request.
            if (!ModelPromptTokenizer.IsAvailable(options.ModelFolder))
            {
                failures.Add($"{key}:Model '{options.ModelFolder}' must be a model directory with {MlcAspire.Models.MlcModel.ConfigFileName} and {MlcAspire.Models.MlcModel.TokenizerFileName} when {key}:Mode is disagg.");
            }

            // A prefill engine pushes KV to a different engine; one engine alone cannot disaggregate.
            if (options.Engines.Count < 2)
            {
                failures.Add($"{key}:Engines needs at least two engines when {key}:Mode is disagg.");
            }
        }

        TimerRange.Validate(failures,
        [
            (nameof(options.PreemptBackoff), options.PreemptBackoff),
            (nameof(options.PrepRecvTimeout), options.PrepRecvTimeout),
            (nameof(options.RemoteSendTimeout), options.RemoteSendTimeout),
            (nameof(options.FirstTokenTimeout), options.FirstTokenTimeout),
            (nameof(options.IdleTimeout), options.IdleTimeout),
            (nameof(options.CompletionTimeout), options.CompletionTimeout),
            (nameof(options.ReleaseTimeout), options.ReleaseTimeout),
        ], zeroAllowed: nameof(options.PreemptBackoff));

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")]
    private static partial Regex ResourceName();
}
