using MlcAspire.ReferenceEngine.Transfer;

namespace MlcAspire.ReferenceEngine.Cli;

/// <summary>Turns the process arguments into <see cref="EngineOptions"/>, or handles the modes that are no engine.</summary>
internal static class EngineStartup
{
    /// <summary>
    /// Parses <c>mlc_llm serve</c>'s arguments. Does not return for <c>--nvshmem-uid</c> (the process serves the
    /// bootstrap root, then exits 0) or for a usage error (the message goes to stderr, exit code 2, as argparse).
    /// </summary>
    public static async Task<EngineOptions> ParseOrExitAsync(string[] args)
    {
        if (args is [NvshmemUidCommand.Flag])
        {
            await NvshmemUidCommand.RunAsync(CancellationToken.None);
            Environment.Exit(0);
        }

        try
        {
            return EngineCommandLine.Parse(args);
        }
        catch (CommandLineException ex)
        {
            EngineCommandLine.WriteError(ex);
            Environment.Exit(EngineCommandLine.UsageExitCode);
            throw;
        }
    }
}
