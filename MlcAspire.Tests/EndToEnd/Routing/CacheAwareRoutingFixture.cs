using MlcAspire.Tests.EndToEnd.Router;

namespace MlcAspire.Tests.EndToEnd.Routing;

/// <summary>
/// Five reference engines with the prefix cache, shared by one test class: engines 0–3 stall 50 ms between chunks, so a
/// stream holds its engine's load while a test routes another request; engine 4 is the single-engine reference, which
/// no router sends to. In front of them, the AppHost's application attached to them (--attach-engines), one per setting tested.
/// </summary>
public sealed class CacheAwareRoutingFixture : IAsyncLifetime
{
    /// <summary>The engine whose direct answers are the reference outputs.</summary>
    public const int ReferenceEngine = 4;

    private readonly List<AspireApp> _routers = [];

    internal ReferenceEngineCluster Cluster { get; private set; } = null!;

    /// <summary>Round-robin mode over engines 0–2, cache-aware.</summary>
    internal AspireApp CacheAware { get; private set; } = null!;

    /// <summary>Round-robin mode over engines 0–2, least-loaded.</summary>
    internal AspireApp LeastLoaded { get; private set; } = null!;

    /// <summary>Disaggregated, cache-aware, adaptive split, over engines 0–3 (prefill, decode, prefill, decode).</summary>
    internal AspireApp AdaptiveDisagg { get; private set; } = null!;

    /// <summary>Cache-aware round-robin over engines 0–1 where any load above the least loaded is an overload.</summary>
    internal AspireApp StrictBalance { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var token = TestContext.Current.CancellationToken;
        var stalled = new ClusterEngine(Faults: "stall_between_chunks_ms=50");
        Cluster = await ReferenceEngineCluster.StartAsync(
            [stalled, stalled, stalled, stalled, new ClusterEngine()], prefixCache: true, RepositoryPaths.ReferenceTinyModel, token);

        var none = new Dictionary<string, string>();
        CacheAware = await StartAsync(Cluster.StartRouterAsync([0, 1, 2], none, ["--router-mode", "round-robin", "--routing-policy", "cache-aware"], token));
        LeastLoaded = await StartAsync(Cluster.StartRouterAsync([0, 1, 2], none, ["--router-mode", "round-robin", "--routing-policy", "least-loaded"], token));
        AdaptiveDisagg = await StartAsync(Cluster.StartRouterAsync([0, 1, 2, 3], none, ["--endpoint-roles", "Prefill", "Decode", "Prefill", "Decode", "--routing-policy", "cache-aware", "--pd-balance-factor", "adaptive"], token));
        StrictBalance = await StartAsync(Cluster.StartRouterAsync([0, 1], new Dictionary<string, string> { ["Router__BalanceAbsThreshold"] = "0", ["Router__BalanceRelThreshold"] = "1" }, ["--router-mode", "round-robin", "--routing-policy", "cache-aware"], token));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var router in _routers)
        {
            await router.DisposeAsync();
        }

        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }

    private async Task<AspireApp> StartAsync(Task<AspireApp> start)
    {
        var router = await start;
        _routers.Add(router);
        return router;
    }
}
