using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MlcAspire.Bench.Load;
using MlcAspire.Tests.EndToEnd.Reliability;
using static MlcAspire.Tests.EndToEnd.ReferenceEngine.EngineCalls;

namespace MlcAspire.Tests.EndToEnd.ReferenceEngine;

/// <summary>The engine's HTTP surface, byte for byte where MLC's shapes are fixed (mlc-protocol.md §2–4).</summary>
[Trait("Category", "EndToEnd")]
public sealed partial class EngineWireTests(EngineWireFixture fixture) : IClassFixture<EngineWireFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Models_ListsTheModelArgumentAsGiven()
    {
        var body = await fixture.Debug.Client.GetStringAsync("/v1/models", Ct);

        Assert.Matches(
            $$"""^\{"object":"list","data":\[\{"id":"{{Regex.Escape(RepositoryPaths.ReferenceTinyModel)}}","created":\d+,"object":"model","owned_by":"MLC-LLM"\}\]\}$""",
            body);
    }

    [Fact]
    public async Task Cors_DefaultsAllowAnyOrigin()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.Add("Origin", "http://client.example");

        using var response = await fixture.Debug.Client.SendAsync(request, Ct);

        Assert.Equal("*", Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
    }

    [Fact]
    public async Task Health_AnswersFromServiceDefaults()
    {
        using var response = await fixture.Debug.Client.GetAsync("/health", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Completion_NonStream_HasMlcShapeWithNullsPresent()
    {
        using var response = await PostAsync(fixture.Debug.Client, "/v1/completions",
            JsonNode.Parse("""{"prompt":"Hello world","max_tokens":5,"temperature":0,"user":"shape-1"}""")!, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Matches(
            """^\{"id":"shape-1","choices":\[\{"finish_reason":"length","index":0,"logprobs":null,"text":".*"\}\],"created":\d+,"model":null,"object":"text_completion","usage":\{"prompt_tokens":\d+,"completion_tokens":5,"total_tokens":\d+,"extra":\{"prompt_tokens":\d+,"completion_tokens":5,"prefill_tokens":\d+,"decode_tokens":\d+,"jump_forward_tokens":0,.*"end_to_end_latency_s":[\d.eE-]+,"ttft_s":[\d.eE-]+,"inter_token_latency_s":[\d.eE-]+\}\}\}$""",
            body);
    }

    [Fact]
    public async Task Completion_Stream_IsSseFramedAndEndsWithDone()
    {
        var request = JsonNode.Parse("""{"prompt":[5,6,7,8],"max_tokens":6,"temperature":0,"stream":true,"stream_options":{"include_usage":true},"user":"sse-1"}""")!;
        using var response = await PostAsync(fixture.Debug.Client, "/v1/completions", request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Matches("""^(data: \{"id":"sse-1","choices":\[(\{"finish_reason":(null|"length"),"index":0,"logprobs":null,"text":"[^\n]*"\})?\],"created":\d+,"model":null,"object":"text_completion","usage":(null|\{[^\n]+\})\}\n\n)+data: \[DONE\]\n\n$""", body);
        var data = SseData(body);
        var usage = JsonNode.Parse(data[^2])!;
        Assert.Empty(usage["choices"]!.AsArray());
        Assert.Equal(4, usage["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(6, usage["usage"]!["completion_tokens"]!.GetValue<int>());
        Assert.All(data.SkipLast(2), chunk => Assert.Null(JsonNode.Parse(chunk)!["usage"]));
    }

    [Fact]
    public async Task Completion_StreamWithoutIncludeUsage_HasNoUsageChunk()
    {
        using var response = await PostAsync(fixture.Debug.Client, "/v1/completions",
            JsonNode.Parse("""{"prompt":[5,6,7,8],"max_tokens":3,"temperature":0,"stream":true}""")!, Ct);
        var data = SseData(await response.Content.ReadAsStringAsync(Ct));

        Assert.All(data.SkipLast(1), chunk => Assert.NotEmpty(JsonNode.Parse(chunk)!["choices"]!.AsArray()));
        Assert.Equal("length", JoinStream(data).FinishReason);
    }

    [Fact]
    public async Task UsageExtra_IsDroppedWithoutEnableDebug()
    {
        var completion = await PostOkAsync(fixture.Plain.Client, "/v1/completions", JsonNode.Parse("""{"prompt":[1,2,3],"max_tokens":2,"debug_config":{"ignore_eos":true}}""")!, Ct);

        Assert.Contains("\"extra\":null", completion.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task IgnoreEos_WithoutEnableDebug_IsDropped()
    {
        // Greedy decoding of this prompt samples EOS as its 221st token.
        var request = JsonNode.Parse("""{"prompt":"Once upon a time","max_tokens":300,"temperature":0}""")!;
        var untouched = await PostOkAsync(fixture.Debug.Client, "/v1/completions", request, Ct);
        request["debug_config"] = new JsonObject { ["ignore_eos"] = true };

        var honoured = await PostOkAsync(fixture.Debug.Client, "/v1/completions", request, Ct);
        var dropped = await PostOkAsync(fixture.Plain.Client, "/v1/completions", request, Ct);

        Assert.Equal(("stop", 221), (untouched["choices"]![0]!["finish_reason"]!.GetValue<string>(), untouched["usage"]!["completion_tokens"]!.GetValue<int>()));
        Assert.Equal(("length", 300), (honoured["choices"]![0]!["finish_reason"]!.GetValue<string>(), honoured["usage"]!["completion_tokens"]!.GetValue<int>()));
        Assert.Equal(("stop", 221), (dropped["choices"]![0]!["finish_reason"]!.GetValue<string>(), dropped["usage"]!["completion_tokens"]!.GetValue<int>()));
        Assert.Equal(untouched["choices"]!.ToJsonString(), dropped["choices"]!.ToJsonString());
    }

    [Fact]
    public async Task MicroServing_WithoutEnableDebug_IsRefused()
    {
        using var response = await PostAsync(fixture.Plain.Client, "/microserving/prep_recv",
            JsonNode.Parse("""{"prompt":[1,2,3],"end":-1,"user":"no-debug","debug_config":{}}""")!, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("--enable-debug", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostileMicroServingInputs_Are400AndAConcurrentCompletionGetsTheReferenceOutput()
    {
        // A 1 GiB heap, so that input making the engine allocate without bound fails at once instead of swapping the machine.
        await using var engine = EngineProcess.Start(
            ["--enable-debug", "--overrides", "max_total_seq_length=8192"],
            new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x40000000" });
        await engine.WaitReadyAsync(Ct);
        var prompt = Prompt(seed: 901, 24);
        var reference = ReadGeneration(await PostOkAsync(engine.Client, "/v1/completions", GreedyBody(prompt, maxTokens: 3000), Ct));
        var running = GreedyBody(prompt, maxTokens: 3000, user: "bystander");
        running["stream"] = true;
        using var response = await PostAsync(engine.Client, "/v1/completions", running, Ct, HttpCompletionOption.ResponseHeadersRead);
        var stream = response.Content.ReadAsStringAsync(Ct);

        var hostile = new List<(string Path, JsonObject Body)>();
        foreach (var segments in new[] { "[1,0,2000000000]", "[1,0,9223372036854775807]", "[2,0,2000000000,16,-1999999997]", "[1,-16,3]", "[1,9223372036854775806,3]", "[2000000000,0,3]" })
        {
            hostile.Add(("remote_send", Hostile(("begin", 0), ("end", 3), ("kv_addr_info", EncodeMetadata(segments)), ("recv_rank", 1))));
        }

        foreach (var (begin, end) in new[] { (int.MinValue, 3), (0, int.MaxValue), (int.MaxValue, int.MinValue), (-1, -2), (2, -4) })
        {
            hostile.Add(("remote_send", Hostile(("begin", begin), ("end", end), ("kv_addr_info", EncodeMetadata("[1,0,3]")), ("recv_rank", 1))));
        }

        hostile.Add(("prep_recv", Hostile(("end", int.MinValue))));
        hostile.Add(("prep_recv", Hostile(("end", int.MaxValue))));
        hostile.Add(("start_generate", Hostile(("begin", int.MaxValue))));
        foreach (var (path, body) in hostile)
        {
            using var refused = await PostAsync(engine.Client, "/microserving/" + path, body, Ct);
            var text = await refused.Content.ReadAsStringAsync(Ct);

            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{path} {body.ToJsonString()} answered {(int)refused.StatusCode}: {text}");
            Assert.Equal(400, JsonNode.Parse(JsonNode.Parse(text)!.GetValue<string>())!["code"]!.GetValue<int>());
        }

        // The bystander was in flight through all of the above, and still produces exactly the reference tokens.
        Assert.Equal(1, (await engine.MetricsAsync(Ct))["mlc_reference_running_requests"]);
        Assert.True(JoinStream(SseData(await stream)).SameTokensAs(reference), "a hostile MicroServing call changed another request's output");
        await engine.WaitIdleAsync(Ct);
    }

    [Fact]
    public async Task ApiKey_GuardsOpenAiRoutesOnly()
    {
        using var anonymous = new HttpClient { BaseAddress = fixture.Plain.BaseAddress };

        using var models = await anonymous.GetAsync("/v1/models", Ct);
        using var metrics = await anonymous.GetAsync("/metrics", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, models.StatusCode);
        Assert.Equal("""{"detail":"Invalid API Key"}""", await models.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
    }

    [Fact]
    public async Task BadRequest_IsDoubleEncoded()
    {
        using var response = await PostAsync(fixture.Debug.Client, "/v1/completions", JsonNode.Parse("""{"prompt":[1,2],"best_of":2}""")!, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("\"{\\\"object\\\":\\\"error\\\",\\\"message\\\":\\\"Request fields \\\\\\\"best_of\\\\\\\" are not supported right now.\\\",\\\"code\\\":400}\"", body);
        var inner = JsonNode.Parse(JsonNode.Parse(body)!.GetValue<string>())!;
        Assert.Equal(400, inner["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task PromptLongerThanTheContextWindow_Is400()
    {
        using var response = await PostAsync(fixture.Debug.Client, "/v1/completions",
            new JsonObject { ["prompt"] = new JsonArray([.. Enumerable.Range(0, 4097).Select(_ => (JsonNode)7)]) }, Ct);
        var inner = JsonNode.Parse(JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!.GetValue<string>())!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Request prompt has 4097 tokens in total, larger than the model input length limit 4096.", inner["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task ValidationError_Is422WithFastApiDetail()
    {
        using var wrongType = await PostAsync(fixture.Debug.Client, "/v1/completions", JsonNode.Parse("""{"prompt":[1],"n":"many"}""")!, Ct);
        using var missing = await PostAsync(fixture.Debug.Client, "/v1/completions", JsonNode.Parse("""{"max_tokens":1}""")!, Ct);
        using var outOfRange = await PostAsync(fixture.Debug.Client, "/v1/completions", JsonNode.Parse("""{"prompt":[1],"logprobs":9}""")!, Ct);
        using var noTokens = await PostAsync(fixture.Debug.Client, "/v1/completions", JsonNode.Parse("""{"prompt":[1],"max_tokens":0}""")!, Ct);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, wrongType.StatusCode);
        Assert.Matches("""^\{"detail":\[\{"type":"int_type","loc":\["body","n"\],"msg":"Input should be a valid integer","input":"many"\}\]\}$""", await wrongType.Content.ReadAsStringAsync(Ct));
        Assert.Matches("""^\{"detail":\[\{"type":"missing","loc":\["body","prompt"\],"msg":"Field required",""", await missing.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, outOfRange.StatusCode);
        Assert.Contains("\"loc\":[\"body\",\"logprobs\"]", await outOfRange.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noTokens.StatusCode);
    }

    [Fact]
    public async Task DuplicateUserId_WhileInFlight_Is400AndLeavesTheFirstRequestAlone()
    {
        var body = JsonNode.Parse("""{"prompt":[9,9,9],"max_tokens":3000,"stream":true,"user":"dup-id","debug_config":{"ignore_eos":true}}""")!;
        using var first = await PostAsync(fixture.Debug.Client, "/v1/completions", body, Ct, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await first.Content.ReadAsStreamAsync(Ct));
        Assert.StartsWith("data: ", await reader.ReadLineAsync(Ct), StringComparison.Ordinal);

        using var second = await PostAsync(fixture.Debug.Client, "/v1/completions", body, Ct);
        var inner = JsonNode.Parse(JsonNode.Parse(await second.Content.ReadAsStringAsync(Ct))!.GetValue<string>())!;

        Assert.Equal(HttpStatusCode.BadRequest, second.StatusCode);
        Assert.Contains("dup-id", inner["message"]!.GetValue<string>(), StringComparison.Ordinal);
        await fixture.Debug.WaitForMetricAsync("mlc_reference_running_requests", 1, Ct);
    }

    [Fact]
    public async Task ClientDisconnect_MidStream_AbortsAndFreesPages()
    {
        var body = JsonNode.Parse("""{"prompt":[3,1,4,1,5,9,2,6],"max_tokens":3000,"stream":true,"user":"leaver","debug_config":{"ignore_eos":true}}""")!;
        using (var response = await PostAsync(fixture.Debug.Client, "/v1/completions", body, Ct, HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
            Assert.StartsWith("data: ", await reader.ReadLineAsync(Ct), StringComparison.Ordinal);
        }

        await fixture.Debug.WaitIdleAsync(Ct);
    }

    [Fact]
    public async Task PrepRecvMetadata_DecodesToTheSpecLayout()
    {
        var body = JsonNode.Parse("""{"prompt":[],"max_tokens":2,"stream":true,"user":"meta-1","debug_config":{}}""")!;
        body["prompt"] = new JsonArray([.. Prompt(seed: 11, 40).Select(t => (JsonNode)t)]);
        body["end"] = -1;

        var prepared = await PostOkAsync(fixture.Debug.Client, "/microserving/prep_recv", body, Ct);
        var metadata = prepared["kv_append_metadata"]!.GetValue<string>();
        var json = Encoding.UTF8.GetString(Convert.FromBase64String(metadata).AsSpan(8));

        Assert.Equal(0, prepared["prefix_matched_length"]!.GetValue<int>());
        // [nseg, slot_0, len_0, ...]: the free pages may be scattered by earlier tests, so the window may take
        // several segments, but their lengths cover exactly [0:39] and, with no prefix hit, start on a page.
        var layout = DecodeMetadata(metadata);
        Assert.Matches("""^\[\d+(,\d+,\d+)+\]$""", json);
        var segments = (int)layout[0];
        Assert.Equal(1 + (2 * segments), layout.Length);
        Assert.Equal(39L, Enumerable.Range(0, segments).Sum(k => layout[2 + (2 * k)]));
        Assert.Equal(0, layout[1] % 16);
        await fixture.Debug.WaitForMetricAsync("mlc_reference_parked_requests", 1, Ct);

        body.AsObject().Remove("end");
        body["begin"] = 39;
        using (var release = await PostAsync(fixture.Debug.Client, "/microserving/start_generate", body, Ct, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, release.StatusCode);
        }

        await fixture.Debug.WaitIdleAsync(Ct);
    }

    [Fact]
    public async Task MicroServingWindowViolations_AreAnsweredAndTheEngineStaysHealthy()
    {
        var body = JsonNode.Parse("""{"prompt":[1,2,3,4],"user":"window-1","debug_config":{}}""")!;
        body["end"] = 4;
        using var endAtLength = await PostAsync(fixture.Debug.Client, "/microserving/prep_recv", body, Ct);
        body["begin"] = 0;
        using var unknown = await PostAsync(fixture.Debug.Client, "/microserving/start_generate", body, Ct);
        var remoteSend = JsonNode.Parse("""{"prompt":[1,2,3,4],"user":"window-2","begin":0,"end":3,"recv_rank":1}""")!;
        remoteSend["kv_addr_info"] = EncodeMetadata("[1,32,3]");
        using var noWorld = await PostAsync(fixture.Debug.Client, "/microserving/remote_send", remoteSend, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, endAtLength.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noWorld.StatusCode);
        Assert.Contains("NVSHMEM", await noWorld.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        await PostOkAsync(fixture.Debug.Client, "/v1/completions", JsonNode.Parse("""{"prompt":[1,2],"max_tokens":1}""")!, Ct);
        await fixture.Debug.WaitIdleAsync(Ct);
    }

    [Fact]
    public async Task SeededSampling_IsTheSameAcrossProcesses()
    {
        var request = JsonNode.Parse("""{"prompt":"Once upon a time","max_tokens":24,"temperature":0.9,"top_p":0.9,"seed":42,"n":2}""")!;

        var first = await PostOkAsync(fixture.Debug.Client, "/v1/completions", request, Ct);
        var second = await PostOkAsync(fixture.Plain.Client, "/v1/completions", request, Ct);

        Assert.Equal(first["choices"]!.ToJsonString(), second["choices"]!.ToJsonString());
        Assert.Equal(2, first["choices"]!.AsArray().Count);
        Assert.NotEqual(first["choices"]![0]!["text"]!.GetValue<string>(), first["choices"]![1]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task EchoSuffixAndStop_ShapeTheText()
    {
        var greedy = await PostOkAsync(fixture.Debug.Client, "/v1/completions", JsonNode.Parse("""{"prompt":"The engine","max_tokens":16,"temperature":0}""")!, Ct);
        var text = greedy["choices"]![0]!["text"]!.GetValue<string>();
        var stop = text.Substring(4, 3);

        var echoed = await PostOkAsync(fixture.Debug.Client, "/v1/completions", JsonNode.Parse("""{"prompt":"The engine","max_tokens":16,"temperature":0,"echo":true,"suffix":"<end>"}""")!, Ct);
        var stopped = await PostOkAsync(fixture.Debug.Client, "/v1/completions", new JsonObject
        {
            ["prompt"] = "The engine", ["max_tokens"] = 16, ["temperature"] = 0, ["stop"] = new JsonArray(stop),
        }, Ct);

        Assert.Equal("The engine" + text + "<end>", echoed["choices"]![0]!["text"]!.GetValue<string>());
        Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], stopped["choices"]![0]!["text"]!.GetValue<string>());
        Assert.Equal("stop", stopped["choices"]![0]!["finish_reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task HostileRequests_NeverGetA5xx()
    {
        var hostile = new HostileRequests(seed: 1234, bodyLimit: 4 * 1024 * 1024);
        for (var i = 0; i < 150; i++)
        {
            var (kind, body, _) = hostile.Next();
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await fixture.Debug.Client.PostAsync("/v1/completions", content, Ct);

            Assert.True((int)response.StatusCode < 500, $"{kind} body got {(int)response.StatusCode}: {Encoding.UTF8.GetString(body[..Math.Min(body.Length, 200)])}");
        }

        await fixture.Debug.WaitIdleAsync(Ct);
    }

    private static JsonObject Hostile(params (string Name, JsonNode Value)[] fields)
    {
        var body = new JsonObject { ["prompt"] = new JsonArray(1, 2, 3, 4), ["user"] = "hostile", ["debug_config"] = new JsonObject() };
        foreach (var (name, value) in fields)
        {
            body[name] = value;
        }

        return body;
    }
}
