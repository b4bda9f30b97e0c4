using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace MlcAspire.Tests.EndToEnd.Router;

/// <summary>Two four-engine clusters, prefix cache on and off, shared by one test class (start-up is the slow part).</summary>
public sealed class EngineClustersFixture : IAsyncLifetime
{
    private readonly ConcurrentDictionary<(bool, string), Task<string>> _references = new();

    internal ReferenceEngineCluster WithPrefixCache { get; private set; } = null!;

    internal ReferenceEngineCluster WithoutPrefixCache { get; private set; } = null!;

    internal ReferenceEngineCluster Cluster(bool prefixCache) => prefixCache ? WithPrefixCache : WithoutPrefixCache;

    public async ValueTask InitializeAsync()
    {
        var token = TestContext.Current.CancellationToken;
        var withCache = ReferenceEngineCluster.StartAsync(4, prefixCache: true, token);
        var withoutCache = ReferenceEngineCluster.StartAsync(4, prefixCache: false, token);
        WithPrefixCache = await withCache;
        WithoutPrefixCache = await withoutCache;
    }

    /// <summary>The greedy output of a single engine (engine-0 of the cluster, plain /v1/completions), computed once per prompt.</summary>
    internal Task<string> ReferenceOutputAsync(bool prefixCache, JsonNode prompt, int maxTokens, CancellationToken cancellationToken) =>
        _references.GetOrAdd((prefixCache, prompt.ToJsonString() + "/" + maxTokens),
            _ => Cluster(prefixCache).CompleteDirectlyAsync(0, prompt, maxTokens, cancellationToken));

    public async ValueTask DisposeAsync()
    {
        if (WithPrefixCache is not null)
        {
            await WithPrefixCache.DisposeAsync();
        }

        if (WithoutPrefixCache is not null)
        {
            await WithoutPrefixCache.DisposeAsync();
        }
    }
}
