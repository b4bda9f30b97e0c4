using System.Net;
using System.Text.Json.Nodes;
using MlcAspire.Tests.EndToEnd.Router;

namespace MlcAspire.Tests.EndToEnd.Chat;

/// <summary>The routers the chat tests use, over the engine world without prefix cache, and that world's engine 0.</summary>
internal static class ChatRouters
{
    /// <summary>The router's base address: disaggregated over the first <paramref name="engines"/> engines, or round-robin.</summary>
    public static async Task<Uri> AddressAsync(EngineClustersFixture clusters, string mode, int engines, double balance) => mode == "disagg"
        ? (await clusters.DisaggregatedRouterAsync(prefixCache: false, engines, balance)).GetEndpoint("router")
        : (await clusters.RoundRobinRouterAsync()).GetEndpoint("router");

    public static async Task<HttpClient> ClientAsync(EngineClustersFixture clusters, string mode, int engines, double balance) =>
        new() { BaseAddress = await AddressAsync(clusters, mode, engines, balance) };

    /// <summary>The model id the routers serve (their model argument).</summary>
    public static string Model(EngineClustersFixture clusters) => clusters.WithoutPrefixCache.Model;

    /// <summary>A chat request sent straight to one engine: the single-engine reference answer.</summary>
    public static async Task<JsonObject> DirectAsync(EngineClustersFixture clusters, JsonObject body, CancellationToken cancellationToken)
    {
        using var engine = new HttpClient { BaseAddress = clusters.WithoutPrefixCache.Engines[0].Url };
        var (status, answer) = await ChatCalls.PostAsync(engine, body, cancellationToken);
        Assert.True(status == HttpStatusCode.OK, answer.ToJsonString());
        return answer;
    }
}
