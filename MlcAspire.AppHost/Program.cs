using MlcAspire.AppHost.Topology;

namespace MlcAspire.AppHost;

/// <summary>
/// The AppHost: reads MLC's router flags (exit code 2 with one message naming the flag when they are invalid), declares
/// the topology as Aspire resources, then runs it (DCP and the dashboard) or publishes its manifest.
/// Not a top-level-statements Program: the test project already compiles the router's global Program.
/// </summary>
internal static class Program
{
    /// <summary>The exit code of an invalid topology (argparse's usage-error code, which MLC's CLI uses).</summary>
    public const int UsageError = 2;

    public static int Main(string[] args)
    {
        var options = AppHostArguments.Read(args, out var error);
        if (options is null)
        {
            Console.Error.WriteLine($"error: {error}");
            return UsageError;
        }

        var builder = DistributedApplication.CreateBuilder(AppHostArguments.ForAspire(options));
        var repositoryRoot = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(builder.AppHostDirectory))!;
        var workingDirectory = ModelLocation.WorkingDirectory(options.Topology.Model, Environment.CurrentDirectory, repositoryRoot);
        builder.AddTopology(options.Topology, workingDirectory, repositoryRoot);
        builder.Build().Run();
        return 0;
    }
}
