using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MlcAspire.Router.Scheduling;
using MlcAspire.Tests.Functional.Router;
using static MlcAspire.Tests.EndToEnd.Reliability.ReliabilityCalls;

namespace MlcAspire.Tests.EndToEnd.Router;

/// <summary>
/// Real router processes, planned by the AppHost, in front of real reference-engine processes (client disconnects in
/// each handoff phase: Reliability/HandoffDisconnectTests).
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class RouterEndToEndTests(EngineClustersFixture clusters) : IClassFixture<EngineClustersFixture>
{
    private const int MaxTokens = 8;
    private const string RequestsTotal = "mlc_reference_requests_total";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>
    /// Token-id prompts of many lengths (1 to 2,000; around page and chunk borders), plus text prompts; new ones for each
    /// case, so that no decode engine's prefix cache holds them from an earlier case and skips the handoff.
    /// </summary>
    private static List<JsonNode> Prompts(int seed, string tag)
    {
        var random = new Random(seed);
        List<JsonNode> prompts = [.. ((int[])[1, 2, 15, 16, 17, 100, 513, 2000])
            .Select(length => new JsonArray([.. Enumerable.Range(0, length).Select(_ => (JsonNode)random.Next(1, 1000))]))];
        prompts.Add(JsonValue.Create($"{tag} The quick brown fox jumps over the lazy dog."));
        prompts.Add(JsonValue.Create($"{tag} Once upon a time"));
        return prompts;
    }

    [Theory]
    [InlineData(true, 2, 0.0)]
    [InlineData(true, 2, 0.1)]
    [InlineData(true, 2, 0.5)]
    [InlineData(true, 4, 0.0)]
    [InlineData(true, 4, 0.1)]
    [InlineData(true, 4, 0.5)]
    [InlineData(false, 2, 0.0)]
    [InlineData(false, 2, 0.1)]
    [InlineData(false, 2, 0.5)]
    [InlineData(false, 4, 0.0)]
    [InlineData(false, 4, 0.1)]
    [InlineData(false, 4, 0.5)]
    public async Task GreedyDisaggregatedOutput_EqualsASingleEnginesOutput_AfterARealHandoff(bool prefixCache, int engines, double balance)
    {
        var cluster = clusters.Cluster(prefixCache);
        using var router = (await clusters.DisaggregatedRouterAsync(prefixCache, engines, balance)).CreateHttpClient("router");
        var prompts = Prompts(seed: (prefixCache ? 1000 : 0) + engines * 100 + (int)(balance * 10), $"[{prefixCache}/{engines}/{balance}]");

        // The references first: the prefill counters below must only see this router's handoffs.
        var expected = new List<string>();
        foreach (var prompt in prompts)
        {
            expected.Add(await cluster.CompleteDirectlyAsync(0, prompt, MaxTokens, Token));
        }

        var prefillEngines = EngineClustersFixture.PrefillEngines(engines);
        var sendsBefore = await cluster.SumMetricAsync(prefillEngines, RequestsTotal, Token);
        var firstSends = 0;
        var allSends = 0;
        for (var p = 0; p < prompts.Count; p++)
        {
            var (text, promptTokens) = await CompleteAsync(router, Body(prompts[p], stream: false));
            Assert.True(expected[p] == text, $"{Describe(prompts[p])} stream=False: expected '{expected[p]}', got '{text}'");
            (text, _) = await CompleteAsync(router, Body(prompts[p], stream: true));
            Assert.True(expected[p] == text, $"{Describe(prompts[p])} stream=True: expected '{expected[p]}', got '{text}'");

            // A window [0, end) with end > 0 is computed on a prefill engine and pushed; end = 0 (a one-token prompt at
            // balance 0) has nothing to send. With the prefix cache the decode engine may already hold the window: always
            // for the second request of a prompt, and for a text prompt whose case tag it shares with the other one.
            if (KvWindow.Resolve(KvWindow.ComputeEnd(balance, promptTokens), promptTokens) > 0)
            {
                firstSends += prompts[p] is JsonArray ? 1 : 0;
                allSends += 2;
            }
        }

        var sends = await cluster.SumMetricAsync(prefillEngines, RequestsTotal, Token) - sendsBefore;
        if (prefixCache)
        {
            Assert.True(sends >= firstSends && sends <= allSends, $"{sends} remote_sends, expected {firstSends} to {allSends}");
        }
        else
        {
            Assert.True(sends == allSends, $"{sends} remote_sends, expected {allSends}");
        }

        await WaitForRouterIdleAsync(router, Token);
        await WaitForNoReservedStateAsync(cluster.Engines.Take(engines), Token);
    }

    [Fact]
    public async Task RoundRobin_100SequentialRequests_SpreadEvenlyOverThreeEngines()
    {
        var cluster = clusters.WithoutPrefixCache;
        using var router = (await clusters.RoundRobinRouterAsync()).CreateHttpClient("router");
        var before = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => cluster.GetMetricAsync(i, RequestsTotal, Token)));
        var routedBefore = await TotalRequestsAsync(router);

        for (var i = 0; i < 100; i++)
        {
            using var response = await router.PostCompletionAsync("""{"prompt":"hello","max_tokens":1}""", Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var after = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => cluster.GetMetricAsync(i, RequestsTotal, Token)));
        Assert.All(after.Zip(before, (a, b) => a - b), served => Assert.InRange(served, 33, 34));
        var routed = (await TotalRequestsAsync(router)).Zip(routedBefore, (a, b) => a - b);
        Assert.All(routed, served => Assert.InRange(served, 33, 34));
        await WaitForRouterIdleAsync(router, Token);
    }

    [Theory]
    [InlineData("disagg")]
    [InlineData("round-robin")]
    public async Task StreamedCompletion_OnTheWire_IsExactSseFraming(string mode)
    {
        using var router = (await (mode == "disagg" ? clusters.DisaggregatedRouterAsync(false, 2, 0) : clusters.RoundRobinRouterAsync())).CreateHttpClient("router");

        using var response = await router.PostCompletionAsync(
            """{"prompt":"Framing on the wire","max_tokens":6,"temperature":0,"stream":true,"stream_options":{"include_usage":true}}""", Token);
        var bytes = await response.Content.ReadAsByteArrayAsync(Token);
        var body = System.Text.Encoding.UTF8.GetString(bytes);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
        // Every event is one "data: " line and a blank line, nothing else (no comments, ids or event names), and the
        // stream ends with exactly one [DONE] event.
        Assert.Matches(@"\A(data: \{[^\n]*\}\n\n)+data: \[DONE\]\n\n\z", body);
        var chunks = RouterTestExtensions.SseData(body)[..^1].Select(data => JsonNode.Parse(data)!.AsObject()).ToList();
        Assert.Single(chunks.Select(chunk => chunk["id"]!.GetValue<string>()).Distinct());
        Assert.All(chunks, chunk => Assert.Equal("text_completion", chunk["object"]!.GetValue<string>()));
        Assert.Equal(6, chunks[^1]["usage"]!["completion_tokens"]!.GetValue<int>());
        await WaitForRouterIdleAsync(router, Token);
    }

    [Theory]
    [InlineData("disagg")]
    [InlineData("round-robin")]
    public async Task ClientDebugConfig_HasNoEffect(string mode)
    {
        using var router = (await (mode == "disagg" ? clusters.DisaggregatedRouterAsync(false, 2, 0) : clusters.RoundRobinRouterAsync())).CreateHttpClient("router");
        var plain = new JsonObject { ["prompt"] = "Once upon a time", ["max_tokens"] = 32, ["temperature"] = 0 };
        var (expected, _) = await CompleteAsync(router, plain);

        foreach (var debug in (string[])[
            """{"ignore_eos":true}""",
            """{"special_request":"query_engine_metrics"}""",
            """{"disagg_config":{"kind":"remote_send","kv_append_metadata":"CgAAAAAAAABbMSw0MDk2LDRd","kv_window_begin":0,"kv_window_end":4,"dst_group_offset":1}}""",
            """{"pinned_system_prompt":true,"grammar_execution_mode":"constraint"}"""])
        {
            var forged = (JsonObject)plain.DeepClone();
            forged["debug_config"] = JsonNode.Parse(debug);
            Assert.Equal(expected, (await CompleteAsync(router, forged)).Text);
        }

        await WaitForRouterIdleAsync(router, Token);
    }

    [Theory]
    [InlineData("disagg")]
    [InlineData("round-robin")]
    public async Task TwoConcurrentRequests_WithTheSameUser_BothSucceed(string mode)
    {
        using var router = (await (mode == "disagg" ? clusters.DisaggregatedRouterAsync(true, 2, 0) : clusters.RoundRobinRouterAsync())).CreateHttpClient("router");

        var body = """{"prompt":"Twins","max_tokens":16,"temperature":0,"user":"same-user"}""";
        var responses = await Task.WhenAll(router.PostCompletionAsync(body, Token), router.PostCompletionAsync(body, Token));

        Assert.All(responses, response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
        foreach (var response in responses)
        {
            response.Dispose();
        }

        await WaitForRouterIdleAsync(router, Token);
    }

    private static JsonObject Body(JsonNode prompt, bool stream) =>
        new() { ["prompt"] = prompt.DeepClone(), ["max_tokens"] = MaxTokens, ["temperature"] = 0, ["stream"] = stream };

    private static string Describe(JsonNode prompt)
    {
        var json = prompt.ToJsonString();
        return $"prompt {json[..Math.Min(60, json.Length)]}… ({(prompt is JsonArray tokens ? tokens.Count + " tokens" : "text")})";
    }

    private static async Task<long[]> TotalRequestsAsync(HttpClient router) =>
        [.. (await router.GetFromJsonAsync<JsonObject>("/router/status", Token))!["engines"]!.AsArray()
            .Select(engine => engine!["total_requests"]!.GetValue<long>())];

    /// <summary>The completion's text and, when not streamed, its <c>usage.prompt_tokens</c> (else 0).</summary>
    private static async Task<(string Text, int PromptTokens)> CompleteAsync(HttpClient client, JsonObject body)
    {
        using var response = await client.PostCompletionAsync(body.ToJsonString(), Token);
        var content = await response.Content.ReadAsStringAsync(Token);
        Assert.True(response.StatusCode == HttpStatusCode.OK, content);
        if (body["stream"]?.GetValue<bool>() != true)
        {
            var json = JsonNode.Parse(content)!;
            return (json["choices"]![0]!["text"]!.GetValue<string>(), json["usage"]!["prompt_tokens"]!.GetValue<int>());
        }

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = RouterTestExtensions.SseData(content);
        Assert.Equal("[DONE]", events[^1]);
        return (string.Concat(events[..^1].Select(e => JsonNode.Parse(e)!["choices"]!.AsArray())
            .SelectMany(choices => choices).Select(choice => choice!["text"]!.GetValue<string>())), 0);
    }
}
