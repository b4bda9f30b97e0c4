using System.Collections.Concurrent;
using System.Globalization;

namespace MlcAspire.Tests.EndToEnd.Router;

/// <summary>
/// Two four-engine worlds, prefix cache on and off, shared by one test class (start-up is the slow part), and in front
/// of them real router processes, one per setting the tests compare (1P1D and 2P2D, balance factors 0, 0.1 and 0.5;
/// round-robin over three engines), each started by the first test that needs it and kept for the others.
/// </summary>
public sealed class EngineClustersFixture : IAsyncLifetime
{
    private readonly ConcurrentDictionary<string, Lazy<Task<AspireApp>>> _routers = new();

    internal ReferenceEngineCluster WithPrefixCache { get; private set; } = null!;

    internal ReferenceEngineCluster WithoutPrefixCache { get; private set; } = null!;

    internal ReferenceEngineCluster Cluster(bool prefixCache) => prefixCache ? WithPrefixCache : WithoutPrefixCache;

    /// <summary>The prefill engines (by index) of <see cref="DisaggregatedRouterAsync"/>: prefill, decode, prefill, decode.</summary>
    internal static IReadOnlyList<int> PrefillEngines(int engines) => [.. Enumerable.Range(0, engines).Where(i => i % 2 == 0)];

    /// <summary>The disaggregated router over the first <paramref name="engines"/> engines (prefill, decode, prefill, decode).</summary>
    internal Task<AspireApp> DisaggregatedRouterAsync(bool prefixCache, int engines, double balance)
    {
        var factor = balance.ToString(CultureInfo.InvariantCulture);
        return RouterAsync($"disagg/{prefixCache}/{engines}/{factor}", () => Cluster(prefixCache).StartRouterAsync(
            [.. Enumerable.Range(0, engines)], new Dictionary<string, string>(),
            ["--endpoint-roles", .. Enumerable.Range(0, engines).Select(i => i % 2 == 0 ? "Prefill" : "Decode"), "--pd-balance-factor", factor],
            CancellationToken.None));
    }

    /// <summary>Round-robin over engines 0–2 of the world without prefix cache.</summary>
    internal Task<AspireApp> RoundRobinRouterAsync() =>
        RouterAsync("round-robin", () => WithoutPrefixCache.StartRouterAsync([0, 1, 2], new Dictionary<string, string>(), ["--router-mode", "round-robin"], CancellationToken.None));

    public async ValueTask InitializeAsync()
    {
        var token = TestContext.Current.CancellationToken;
        var withCache = ReferenceEngineCluster.StartAsync(4, prefixCache: true, token);
        var withoutCache = ReferenceEngineCluster.StartAsync(4, prefixCache: false, token);
        WithPrefixCache = await withCache;
        WithoutPrefixCache = await withoutCache;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var start in _routers.Values.Where(r => r.IsValueCreated).Select(r => r.Value))
        {
            try
            {
                await (await start).DisposeAsync();
            }
            catch (Exception) when (!start.IsCompletedSuccessfully)
            {
                // The start failed (and disposed what it had started); the test that needed the router reported it.
            }
        }

        if (WithPrefixCache is not null)
        {
            await WithPrefixCache.DisposeAsync();
        }

        if (WithoutPrefixCache is not null)
        {
            await WithoutPrefixCache.DisposeAsync();
        }
    }

    // Not the test's token: the router outlives the test that started it (AspireApp bounds its start).
    private Task<AspireApp> RouterAsync(string key, Func<Task<AspireApp>> start) =>
        _routers.GetOrAdd(key, _ => new Lazy<Task<AspireApp>>(start)).Value;
}
