using System.Net;
using System.Text;

namespace MlcAspire.Tests.Functional.Router;

/// <summary>The opt-in <c>X-Mlc-Route</c> header and cache-aware round-robin on text prompts, with the router in process.</summary>
[Trait("Category", "Functional")]
public sealed class RouteHeaderTests : IAsyncLifetime
{
    private const string RouteHeader = "X-Mlc-Route";
    private const string LongPrompt = "The quick brown fox jumps over the lazy dog, and then it runs far away into the forest where nobody can see it any more.";

    private readonly List<FakeEngine> _engines = [];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        for (var i = 0; i < 3; i++)
        {
            var engine = await FakeEngine.StartAsync(Token);
            engine.Handler = (context, _, body) => FakeEngine.StreamTextAsync(context, body, "Hello");
            _engines.Add(engine);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var engine in _engines)
        {
            await engine.DisposeAsync();
        }
    }

    [Fact]
    public async Task RouteHeader_IsSentOnlyWhenTheClientAsks()
    {
        await using var router = Router();
        using var client = router.CreateClient();

        using var silent = await PostAsync(client, LongPrompt, askRoute: false);
        using var asked = await PostAsync(client, LongPrompt, askRoute: true);

        Assert.False(silent.Headers.Contains(RouteHeader));
        Assert.Matches("^engine=engine-[0-2];reason=(least-loaded|cache);matched=[0-9]+$", asked.Headers.GetValues(RouteHeader).Single());
    }

    [Fact]
    public async Task ExposeRoute_SendsTheHeaderOnEveryCompletion()
    {
        await using var router = Router(("Router:ExposeRoute", "true"));
        using var client = router.CreateClient();

        using var response = await PostAsync(client, LongPrompt, askRoute: false);

        Assert.StartsWith("engine=engine-", response.Headers.GetValues(RouteHeader).Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CacheAwareRoundRobin_TokenizesATextPrompt_AndSendsItsRepeatWhereItWent()
    {
        await using var router = Router();
        using var client = router.CreateClient();

        using var first = await PostAsync(client, LongPrompt, askRoute: true);
        using var repeat = await PostAsync(client, LongPrompt + " Again.", askRoute: true);

        var engine = first.Headers.GetValues(RouteHeader).Single().Split(';')[0];
        Assert.Equal($"{engine};reason=cache", string.Join(';', repeat.Headers.GetValues(RouteHeader).Single().Split(';')[..2]));
        Assert.All(_engines.SelectMany(e => e.BodiesFor("/v1/completions")), body => Assert.IsType<System.Text.Json.Nodes.JsonArray>(body["prompt"]));
    }

    private RouterFactory Router(params (string Key, string Value)[] extra)
    {
        var settings = RouterFactory.Settings("round-robin", [.. _engines.Select(e => ("Both", e))]);
        settings["Router:RoutingPolicy"] = "cache-aware";
        settings["Router:PrefixBlockSize"] = "4";
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return new RouterFactory(settings);
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string prompt, bool askRoute)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent(new System.Text.Json.Nodes.JsonObject { ["prompt"] = prompt, ["stream"] = true }.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        if (askRoute)
        {
            request.Headers.Add(RouteHeader, "1");
        }

        var response = await client.SendAsync(request, Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await response.Content.ReadAsStringAsync(Token);
        return response;
    }
}
