using System.Runtime.InteropServices;

namespace MlcAspire.Bench;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };

        // SIGTERM (kill, timeout, a CI runner) must also unwind the presets, or the engines, routers and nginx
        // they started outlive the bench.
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });

        return await BenchRun.MainAsync(args, Console.Out, stop.Token);
    }
}
