using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using MlcAspire.Router.Forwarding;
using MlcAspire.Tests.Functional.Router;

namespace MlcAspire.Tests.EndToEnd.Router;

/// <summary>The real router (in process) in front of real reference-engine processes.</summary>
[Trait("Category", "EndToEnd")]
public sealed class RouterEndToEndTests(EngineClustersFixture clusters) : IClassFixture<EngineClustersFixture>
{
    private const int MaxTokens = 8;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>Token-id prompts of many lengths (1 to 2,000; around page and chunk borders), plus text prompts.</summary>
    private static IEnumerable<JsonNode> Prompts()
    {
        var random = new Random(20250114);
        foreach (var length in (int[])[1, 2, 15, 16, 17, 100, 513, 2000])
        {
            yield return new JsonArray([.. Enumerable.Range(0, length).Select(_ => (JsonNode)random.Next(1, 1000))]);
        }

        yield return JsonValue.Create("The quick brown fox jumps over the lazy dog.");
        yield return JsonValue.Create("Once upon a time");
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
    public async Task GreedyDisaggregatedOutput_EqualsASingleEnginesOutput(bool prefixCache, int engines, double balance)
    {
        var cluster = clusters.Cluster(prefixCache);
        await using var router = Disaggregated(cluster, engines, balance);
        using var client = router.CreateClient();

        foreach (var prompt in Prompts())
        {
            var expected = await clusters.ReferenceOutputAsync(prefixCache, prompt, MaxTokens, Token);
            foreach (var stream in (bool[])[false, true])
            {
                var body = new JsonObject { ["prompt"] = prompt.DeepClone(), ["max_tokens"] = MaxTokens, ["temperature"] = 0, ["stream"] = stream };
                var text = await CompleteAsync(client, body);
                Assert.True(expected == text, $"prompt {prompt.ToJsonString()[..Math.Min(60, prompt.ToJsonString().Length)]}… stream={stream}: expected '{expected}', got '{text}'");
            }
        }

        await client.WaitForIdleAsync(Token);
        await AssertNoReservedStateAsync(cluster, engines);
    }

    [Fact]
    public async Task RoundRobin_100SequentialRequests_SpreadEvenlyOverThreeEngines()
    {
        var cluster = clusters.WithoutPrefixCache;
        var before = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => cluster.GetMetricAsync(i, "mlc_reference_requests_total", Token)));
        await using var router = new RouterFactory(RouterFactory.Settings("round-robin", [.. cluster.Engines.Take(3).Select((uri, i) => ("Both", uri, i))]));
        using var client = router.CreateClient();

        for (var i = 0; i < 100; i++)
        {
            using var response = await client.PostCompletionAsync("""{"prompt":"hello","max_tokens":1}""", Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var after = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => cluster.GetMetricAsync(i, "mlc_reference_requests_total", Token)));
        Assert.All(after.Zip(before, (a, b) => a - b), served => Assert.InRange(served, 33, 34));
        var status = await client.GetFromJsonAsync<JsonObject>("/router/status", Token);
        Assert.All(status!["engines"]!.AsArray(), engine => Assert.InRange(engine!["total_requests"]!.GetValue<long>(), 33, 34));
    }

    [Theory]
    [InlineData("disagg")]
    [InlineData("round-robin")]
    public async Task ClientDebugConfig_HasNoEffect(string mode)
    {
        var cluster = clusters.WithoutPrefixCache;
        await using var router = mode == "disagg"
            ? Disaggregated(cluster, 2, 0)
            : new RouterFactory(RouterFactory.Settings(mode, [("Both", cluster.Engines[0], 0)]));
        using var client = router.CreateClient();
        var plain = new JsonObject { ["prompt"] = "Once upon a time", ["max_tokens"] = 32, ["temperature"] = 0 };
        var expected = await CompleteAsync(client, plain);

        foreach (var debug in (string[])[
            """{"ignore_eos":true}""",
            """{"special_request":"query_engine_metrics"}""",
            """{"disagg_config":{"kind":"remote_send","kv_append_metadata":"CgAAAAAAAABbMSw0MDk2LDRd","kv_window_begin":0,"kv_window_end":4,"dst_group_offset":1}}""",
            """{"pinned_system_prompt":true,"grammar_execution_mode":"constraint"}"""])
        {
            var forged = (JsonObject)plain.DeepClone();
            forged["debug_config"] = JsonNode.Parse(debug);
            Assert.Equal(expected, await CompleteAsync(client, forged));
        }

        await client.WaitForIdleAsync(Token);
    }

    [Theory]
    [InlineData("disagg")]
    [InlineData("round-robin")]
    public async Task TwoConcurrentRequests_WithTheSameUser_BothSucceed(string mode)
    {
        var cluster = clusters.WithPrefixCache;
        await using var router = mode == "disagg"
            ? Disaggregated(cluster, 2, 0)
            : new RouterFactory(RouterFactory.Settings(mode, [("Both", cluster.Engines[0], 0)]));
        using var client = router.CreateClient();

        var body = """{"prompt":"Twins","max_tokens":16,"temperature":0,"user":"same-user"}""";
        var responses = await Task.WhenAll(client.PostCompletionAsync(body, Token), client.PostCompletionAsync(body, Token));

        Assert.All(responses, response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
        foreach (var response in responses)
        {
            response.Dispose();
        }

        await client.WaitForIdleAsync(Token);
    }

    [Theory]
    [InlineData(DisaggregatedPhase.PrepRecv)]
    [InlineData(DisaggregatedPhase.RemoteSend)]
    [InlineData(DisaggregatedPhase.StartGenerate)]
    public async Task ClientDisconnect_InEachHandoffPhase_LeavesNoLoadAndNoReservedState(DisaggregatedPhase phase)
    {
        var cluster = clusters.WithoutPrefixCache;
        // prep_recv and remote_send: the client leaves as the call goes out; start_generate: once the stream started.
        var trap = phase switch
        {
            DisaggregatedPhase.PrepRecv => new PhaseTrap("/microserving/prep_recv", afterResponse: false),
            DisaggregatedPhase.RemoteSend => new PhaseTrap("/microserving/remote_send", afterResponse: false),
            _ => new PhaseTrap("/microserving/start_generate", afterResponse: true),
        };
        await using var router = Disaggregated(cluster, 2, 0.1,
            services => services.AddHttpClient<EngineClient>().AddHttpMessageHandler(() => trap));
        using var client = router.CreateClient();
        var prompt = new JsonArray([.. Enumerable.Range(1, 1500).Select(i => (JsonNode)(i % 900 + 1))]);

        for (var i = 0; i < 3; i++)
        {
            trap.Reset();
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Token);
            var request = client.PostCompletionAsync(new JsonObject { ["prompt"] = prompt.DeepClone(), ["max_tokens"] = 200, ["stream"] = true }.ToJsonString(), cancel.Token);
            await trap.Reached.WaitAsync(Token);
            await cancel.CancelAsync();
            try
            {
                using var response = await request;
            }
            catch (OperationCanceledException)
            {
                // The client left; that is the point.
            }
        }

        using var healthy = await client.PostCompletionAsync("""{"prompt":[1,2,3],"max_tokens":2}""", Token);
        Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
        using var rejected = await client.PostCompletionAsync("""{"prompt":[1,2,50000],"max_tokens":2}""", Token);
        Assert.Equal(HttpStatusCode.BadRequest, rejected.StatusCode);

        await client.WaitForIdleAsync(Token);
        await AssertNoReservedStateAsync(cluster, 2);
    }

    public enum DisaggregatedPhase
    {
        PrepRecv,
        RemoteSend,
        StartGenerate,
    }

    private static RouterFactory Disaggregated(ReferenceEngineCluster cluster, int engines, double balance, Action<IServiceCollection>? services = null) =>
        new(RouterFactory.Settings("disagg", [.. cluster.Engines.Take(engines).Select((uri, i) => (i % 2 == 0 ? "Prefill" : "Decode", uri, i))], balance), services);

    private static async Task<string> CompleteAsync(HttpClient client, JsonObject body)
    {
        using var response = await client.PostCompletionAsync(body.ToJsonString(), Token);
        var content = await response.Content.ReadAsStringAsync(Token);
        Assert.True(response.StatusCode == HttpStatusCode.OK, content);
        if (body["stream"]?.GetValue<bool>() != true)
        {
            return JsonNode.Parse(content)!["choices"]![0]!["text"]!.GetValue<string>();
        }

        var events = RouterTestExtensions.SseData(content);
        Assert.Equal("[DONE]", events[^1]);
        return string.Concat(events[..^1].Select(e => JsonNode.Parse(e)!["choices"]!.AsArray())
            .SelectMany(choices => choices).Select(choice => choice!["text"]!.GetValue<string>()));
    }

    /// <summary>Waits until no engine holds parked requests or pages for requests (the engine frees them asynchronously).</summary>
    private static async Task AssertNoReservedStateAsync(ReferenceEngineCluster cluster, int engines)
    {
        for (var i = 0; i < engines; i++)
        {
            while (await cluster.GetMetricAsync(i, "mlc_reference_parked_requests", Token) != 0
                || await cluster.GetMetricAsync(i, "mlc_reference_kv_pages_used", Token) != 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), Token);
            }
        }
    }

    /// <summary>Passes every engine call through and reports when the router sends the one of the watched phase.</summary>
    private sealed class PhaseTrap(string path, bool afterResponse) : DelegatingHandler
    {
        private TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Reached => _reached.Task;

        public void Reset() => _reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var watched = request.RequestUri!.AbsolutePath == path;
            if (watched && !afterResponse)
            {
                _reached.TrySetResult();
            }

            var response = await base.SendAsync(request, cancellationToken);
            if (watched && afterResponse)
            {
                _reached.TrySetResult();
            }

            return response;
        }
    }
}
