namespace MlcAspire.Tests.EndToEnd.ReferenceEngine;

/// <summary>
/// A prefill/decode pair of timing-model engines (PEs 0 and 1) in one NVSHMEM world, without the prefix cache so
/// that every handoff sends a whole window.
/// </summary>
public sealed class TimingDisaggregationFixture : IAsyncLifetime
{
    private NvshmemUidProcess? _uid;

    internal EngineProcess Prefill { get; private set; } = null!;

    internal EngineProcess Decode { get; private set; } = null!;

    /// <summary>The decode engine's PE, the <c>recv_rank</c> a router sends.</summary>
    internal const int DecodePe = 1;

    public async ValueTask InitializeAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        _uid = await NvshmemUidProcess.StartAsync(cancellationToken);
        var model = Path.Combine(RepositoryPaths.Root, "models", "reference-timing");
        EngineProcess Start(int pe) => EngineProcess.Start(
            ["--device", $"cuda:{pe}", "--enable-debug", "--mode", "server", "--prefix-cache-mode", "disable"],
            _uid.EnvironmentFor(npes: 2, peStart: pe),
            model);
        (Prefill, Decode) = (Start(0), Start(DecodePe));

        // NVSHMEM init is collective: both engines block until both have joined, so wait for them together.
        await Task.WhenAll(Prefill.WaitReadyAsync(cancellationToken), Decode.WaitReadyAsync(cancellationToken));
    }

    public async ValueTask DisposeAsync()
    {
        await Prefill.DisposeAsync();
        await Decode.DisposeAsync();
        if (_uid is not null)
        {
            await _uid.DisposeAsync();
        }
    }
}
