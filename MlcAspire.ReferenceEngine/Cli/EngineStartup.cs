using MlcAspire.Models;
using MlcAspire.ReferenceEngine.Model;
using MlcAspire.ReferenceEngine.Serving;
using MlcAspire.ReferenceEngine.Transfer;

namespace MlcAspire.ReferenceEngine.Cli;

/// <summary>Turns the process arguments into <see cref="EngineOptions"/>, or handles the modes that are no engine.</summary>
internal static class EngineStartup
{
    /// <summary>
    /// Parses <c>mlc_llm serve</c>'s arguments. Does not return for <c>--nvshmem-uid</c> (the process serves the
    /// bootstrap root, then exits 0), for <c>-h</c>/<c>--help</c> (usage and environment variables, exit 0) or for a usage error (the message goes to stderr, exit code 2, as argparse),
    /// which includes a capacity in <c>--overrides</c> that cannot be allocated.
    /// </summary>
    public static async Task<EngineOptions> ParseOrExitAsync(string[] args)
    {
        if (args is [NvshmemUidCommand.Flag])
        {
            await NvshmemUidCommand.RunAsync(CancellationToken.None);
            Environment.Exit(0);
        }

        if (EngineCommandLine.IsHelp(args))
        {
            EngineCommandLine.WriteHelp(Console.Out);
            Environment.Exit(0);
        }

        try
        {
            var options = EngineCommandLine.Parse(args);
            var config = MlcModel.LoadConfig(Path.GetFullPath(options.Model));
            EngineLimits.Resolve(options, config, ModelShape.FromModelConfig(config.ModelConfig, config.VocabSize), GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
            return options;
        }
        catch (CommandLineException ex)
        {
            EngineCommandLine.WriteError(ex);
            Environment.Exit(EngineCommandLine.UsageExitCode);
            throw;
        }
    }
}
