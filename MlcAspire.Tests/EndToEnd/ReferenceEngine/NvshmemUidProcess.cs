using System.Diagnostics;

namespace MlcAspire.Tests.EndToEnd.ReferenceEngine;

/// <summary>
/// The <c>--nvshmem-uid</c> helper: a bootstrap root that prints the world's uid and serves until its stdin closes.
/// </summary>
internal sealed class NvshmemUidProcess : IAsyncDisposable
{
    private readonly Process _process;

    private NvshmemUidProcess(Process process, string uid) => (_process, Uid) = (process, uid);

    /// <summary>The uid, as the JSON array line the helper printed.</summary>
    public string Uid { get; }

    public static async Task<NvshmemUidProcess> StartAsync(CancellationToken cancellationToken)
    {
        var process = Process.Start(EngineProcess.Command(["--nvshmem-uid"]))!;
        var uid = await process.StandardOutput.ReadLineAsync(cancellationToken)
            ?? throw new InvalidOperationException("The --nvshmem-uid helper printed no uid: " + await process.StandardError.ReadToEndAsync(cancellationToken));
        return new NvshmemUidProcess(process, uid);
    }

    /// <summary><c>MLC_NVSHMEM_INIT_CONFIG_JSON_STR</c> for the engine whose first PE is <paramref name="peStart"/>.</summary>
    public IReadOnlyDictionary<string, string> EnvironmentFor(int npes, int peStart) =>
        new Dictionary<string, string> { [EngineProcess.NvshmemInitVariable] = $$"""{"uid":{{Uid}},"npes":{{npes}},"pe_start":{{peStart}}}""" };

    public async ValueTask DisposeAsync()
    {
        _process.StandardInput.Close();
        using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(exit.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }
}
