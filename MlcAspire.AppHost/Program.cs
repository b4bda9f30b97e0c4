using MlcAspire.AppHost.Running;

namespace MlcAspire.AppHost;

/// <summary>
/// The AppHost: read the topology, build the plan, run it or publish it (see <see cref="AppHostCommand"/>).
/// Not a top-level-statements Program: the test project already compiles the router's global Program.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args) => args switch
    {
        [OrphanWatchdog.Flag] => await OrphanWatchdog.RunAsync(Console.In, CancellationToken.None),
        _ => await AppHostCommand.RunAsync(args),
    };
}
