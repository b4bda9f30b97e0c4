using System.Text.Json;

namespace MlcAspire.ReferenceEngine.Transfer;

/// <summary>
/// <c>--nvshmem-uid</c>: starts a bootstrap root, prints its uid as one JSON line on stdout, and serves the root
/// until stdin closes (or the process is killed): the helper that outlives engine start-up (mlc-protocol.md §1.5).
/// </summary>
internal static class NvshmemUidCommand
{
    public const string Flag = "--nvshmem-uid";

    public static async Task RunAsync(CancellationToken cancellationToken)
    {
        var root = new BootstrapRoot(Console.Error);
        var endpoint = root.Start();
        await Console.Out.WriteLineAsync(JsonSerializer.Serialize(NvshmemUid.Encode(endpoint), TransferJsonContext.Default.Int64Array));
        await Console.Out.FlushAsync(cancellationToken);

        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var serving = root.ServeAsync(stopping.Token);
        await Console.In.ReadToEndAsync(cancellationToken);
        await stopping.CancelAsync();
        await serving;
    }
}
