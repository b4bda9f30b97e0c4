namespace MlcAspire.Tests.EndToEnd.ReferenceEngine;

/// <summary>
/// One NVSHMEM world of four engine processes, started once for the test class: a prefill/decode pair with the
/// radix prefix cache (PEs 0, 1) and a pair without it (PEs 2, 3), joined through a <c>--nvshmem-uid</c> helper.
/// </summary>
public sealed class DisaggregationFixture : IAsyncLifetime
{
    private NvshmemUidProcess? _uid;
    private readonly List<EngineProcess> _engines = [];

    internal EngineProcess PrefillCached => _engines[0];

    internal EngineProcess DecodeCached => _engines[1];

    internal EngineProcess PrefillUncached => _engines[2];

    internal EngineProcess DecodeUncached => _engines[3];

    /// <summary>The decode engine's PE, the <c>recv_rank</c> a router sends.</summary>
    internal static int DecodePe(bool prefixCache) => prefixCache ? 1 : 3;

    internal (EngineProcess Prefill, EngineProcess Decode) Pair(bool prefixCache) =>
        prefixCache ? (PrefillCached, DecodeCached) : (PrefillUncached, DecodeUncached);

    public async ValueTask InitializeAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        _uid = await NvshmemUidProcess.StartAsync(cancellationToken);
        for (var pe = 0; pe < 4; pe++)
        {
            _engines.Add(EngineProcess.Start(
                ["--device", $"cuda:{pe}", "--enable-debug", "--mode", "server", "--speculative-mode", "disable",
                 "--prefix-cache-mode", pe < 2 ? "radix" : "disable",
                 "--overrides", "gpu_memory_utilization=0.8;spec_draft_length=0;tensor_parallel_shards=1;max_total_seq_length=16384"],
                _uid.EnvironmentFor(npes: 4, peStart: pe)));
        }

        // NVSHMEM init is collective: every engine blocks until all have joined, so wait for them together.
        await Task.WhenAll(_engines.Select(engine => engine.WaitReadyAsync(cancellationToken)));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var engine in _engines)
        {
            await engine.DisposeAsync();
        }

        if (_uid is not null)
        {
            await _uid.DisposeAsync();
        }
    }
}
