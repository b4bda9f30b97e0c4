using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using MlcAspire.Router.Forwarding;
using static MlcAspire.Tests.EndToEnd.Reliability.ReliabilityCalls;

namespace MlcAspire.Tests.EndToEnd.Routing;

/// <summary>
/// Cache-aware routing with real router processes in front of real reference engines that keep a radix prefix cache:
/// where a session's turns land (the <c>X-Mlc-Route</c> header), what the engines computed (their prefill counters),
/// that load still counts, and that the policy does not change greedy output.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class CacheAwareRoutingTests(CacheAwareRoutingFixture fixture) : IClassFixture<CacheAwareRoutingFixture>
{
    private const string PrefillTokens = "mlc_reference_prefill_tokens_total";
    private const int FirstTurnTokens = 600;
    private const int TurnTokens = 40;
    private const int Turns = 4;

    /// <summary>A later turn computes its new tokens and at most one partly matched KV page besides.</summary>
    private const int PageSize = 16;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CacheAware_ASessionsLaterTurnsLandWhereItsPrefixIs_AndTheEnginesComputeOnlyTheNewTokens()
    {
        using var router = fixture.CacheAware.CreateHttpClient("router");
        var turns = Conversation(seed: 1);
        var expected = await ReferencesAsync(turns);

        var (text, route) = await CompleteAsync(router, turns[0], sessionId: null);
        Assert.Equal(expected[0], text);
        var engine = Field(route, "engine");
        await LaterTurnsAsync(router, turns, expected, later =>
        {
            Assert.Equal(engine, Field(later, "engine"));
            Assert.Equal("cache", Field(later, "reason"));
        });

        var status = await router.GetFromJsonAsync<JsonObject>("/router/status", Token);
        var index = status!["engines"]!.AsArray().Single(e => e!["name"]!.GetValue<string>() == engine)!["prefix_index"]!;
        Assert.Equal("cache-aware", status["routing_policy"]!.GetValue<string>());
        Assert.InRange(index["tokens"]!.GetValue<long>(), FirstTurnTokens / PageSize * PageSize, long.MaxValue);
        Assert.InRange(index["hit_rate"]!.GetValue<double>(), 0.5, 1);
        var metrics = await router.GetStringAsync("/metrics", Token);
        var size = metrics.Split('\n').Single(line => line.StartsWith("mlcaspire_router_prefix_index_size_bytes{", StringComparison.Ordinal)
            && line.Contains($"mlc_engine=\"{engine}\"", StringComparison.Ordinal));
        Assert.InRange(double.Parse(size[(size.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture), 1, 64 * 1024 * 1024);
    }

    [Fact]
    public async Task LeastLoaded_ASessionsTurnsRotate_AndTheEnginesRecomputeWhatAnotherEngineHeld()
    {
        using var router = fixture.LeastLoaded.CreateHttpClient("router");
        var turns = Conversation(seed: 2);
        var expected = await ReferencesAsync(turns);

        var before = await PrefillAsync();
        var engines = new List<string>();
        for (var t = 0; t < Turns; t++)
        {
            var (text, route) = await CompleteAsync(router, turns[t], sessionId: null);
            Assert.Equal(expected[t], text);
            engines.Add(Field(route, "engine"));
        }

        // Three engines in turn: the fourth turn returns to the first's engine, which holds only the first turn.
        Assert.Equal(3, engines.Distinct().Count());
        Assert.InRange(await PrefillAsync() - before, (Turns - 1) * FirstTurnTokens, double.MaxValue);
    }

    [Fact]
    public async Task SessionHeader_KeepsASessionOnOneEngine_UnderTheLeastLoadedPolicy()
    {
        using var router = fixture.LeastLoaded.CreateHttpClient("router");
        var random = new Random(3);

        var routes = new List<string>();
        for (var t = 0; t < Turns; t++)
        {
            var (_, route) = await CompleteAsync(router, Tokens(random, 64), sessionId: "agent-7");
            routes.Add(route);
        }

        Assert.Single(routes.Select(r => Field(r, "engine")).Distinct());
        Assert.All(routes.Skip(1), r => Assert.Equal("session", Field(r, "reason")));
    }

    [Fact]
    public async Task AdaptiveDisagg_ALaterTurnPrefillsLocallyOnTheDecodeEngineThatHoldsItsPrefix()
    {
        using var router = fixture.AdaptiveDisagg.CreateHttpClient("router");
        var turns = Conversation(seed: 4);
        var expected = await ReferencesAsync(turns);

        var (text, route) = await CompleteAsync(router, turns[0], sessionId: null);
        Assert.Equal(expected[0], text);
        Assert.StartsWith("remote(", Field(route, "split"), StringComparison.Ordinal);
        var decode = Field(route, "decode");
        await LaterTurnsAsync(router, turns, expected, later =>
        {
            Assert.Equal(decode, Field(later, "decode"));
            Assert.Equal("cache", Field(later, "decode_reason"));
            Assert.Equal("local(short)", Field(later, "split"));
        });
    }

    [Fact]
    public async Task CacheAware_AnOverloadedEngine_IsPassedOverDespiteHoldingThePrefix()
    {
        using var router = fixture.StrictBalance.CreateHttpClient("router");
        var prefix = Tokens(new Random(5), FirstTurnTokens);
        var (_, warm) = await CompleteAsync(router, prefix, sessionId: null);
        var holder = Field(warm, "engine");

        string? probe = null;
        var held = await StreamAsync(router, StreamBody(Prompt([.. prefix, .. Tokens(new Random(6), 8)]), 200), Token, async () =>
        {
            // The stream is open on the engine holding the prefix: its load is 1, the other engine's 0.
            var status = await router.GetFromJsonAsync<JsonObject>("/router/status", Token);
            var load = status!["engines"]!.AsArray().Single(e => e!["name"]!.GetValue<string>() == holder)!["active_requests"]!.GetValue<int>();
            Assert.Equal(1, load);
            (_, probe) = await CompleteAsync(router, [.. prefix, .. Tokens(new Random(7), 8)], sessionId: null);
        });

        Assert.True(held.Done);
        Assert.NotNull(probe);
        Assert.NotEqual(holder, Field(probe, "engine"));
        Assert.Equal("least-loaded", Field(probe, "reason"));
    }

    /// <summary>
    /// Sends turns 1… of a conversation whose first turn ran: each must give the single engine's output, be routed as
    /// <paramref name="checkRoute"/> requires, and cost the engines only its new tokens (and one partly matched page).
    /// </summary>
    private async Task LaterTurnsAsync(HttpClient router, List<int[]> turns, List<string> expected, Action<string> checkRoute)
    {
        for (var t = 1; t < turns.Count; t++)
        {
            var before = await PrefillAsync();
            var (text, route) = await CompleteAsync(router, turns[t], sessionId: null);
            var computed = await PrefillAsync() - before;

            Assert.Equal(expected[t], text);
            checkRoute(route);
            Assert.InRange(computed, 1, TurnTokens + PageSize);
        }
    }

    /// <summary>A multi-turn conversation: each turn's prompt is the last one plus new tokens.</summary>
    private static List<int[]> Conversation(int seed)
    {
        var random = new Random(seed);
        var turns = new List<int[]> { Tokens(random, FirstTurnTokens) };
        for (var t = 1; t < Turns; t++)
        {
            turns.Add([.. turns[^1], .. Tokens(random, TurnTokens)]);
        }

        return turns;
    }

    private static int[] Tokens(Random random, int count) => [.. Enumerable.Range(0, count).Select(_ => random.Next(1, 1000))];

    private async Task<List<string>> ReferencesAsync(List<int[]> turns)
    {
        var texts = new List<string>();
        foreach (var turn in turns)
        {
            texts.Add(await fixture.Cluster.CompleteDirectlyAsync(CacheAwareRoutingFixture.ReferenceEngine, Prompt(turn), 4, Token));
        }

        return texts;
    }

    /// <summary>Prompt tokens computed by every engine a router sends to (the reference engine's are not counted).</summary>
    private Task<double> PrefillAsync() => fixture.Cluster.SumMetricAsync([0, 1, 2, 3], PrefillTokens, Token);

    private static async Task<(string Text, string Route)> CompleteAsync(HttpClient router, int[] prompt, string? sessionId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent(new JsonObject { ["prompt"] = Prompt(prompt), ["max_tokens"] = 4, ["temperature"] = 0 }.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(CompletionRelay.RouteHeader, "1");
        if (sessionId is not null)
        {
            request.Headers.Add("X-Session-Id", sessionId);
        }

        using var response = await router.SendAsync(request, Token);
        var body = await response.Content.ReadAsStringAsync(Token);
        Assert.True(response.IsSuccessStatusCode, body);
        var route = response.Headers.TryGetValues(CompletionRelay.RouteHeader, out var values) ? values.Single() : "";
        return (JsonNode.Parse(body)!["choices"]![0]!["text"]!.GetValue<string>(), route);
    }

    private static JsonArray Prompt(int[] tokens) => [.. tokens.Select(t => (JsonNode)t)];

    /// <summary>One <c>key=value</c> of the route header (<c>engine=engine-1;reason=cache;matched=592</c>).</summary>
    private static string Field(string route, string key) =>
        route.Split(';').Select(part => part.Split('=', 2)).FirstOrDefault(kv => kv[0] == key)?[1]
        ?? throw new Xunit.Sdk.XunitException($"The route header '{route}' has no {key}.");
}
