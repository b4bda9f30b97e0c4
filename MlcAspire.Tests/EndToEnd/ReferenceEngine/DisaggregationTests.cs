using System.Net;
using System.Text.Json.Nodes;
using static MlcAspire.Tests.EndToEnd.ReferenceEngine.EngineCalls;

namespace MlcAspire.Tests.EndToEnd.ReferenceEngine;

/// <summary>
/// prep_recv on D → remote_send on P → start_generate on D, between real engine processes that move KV over the
/// network, must give exactly the tokens (and log-probabilities) that one engine gives for the same prompt.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class DisaggregationTests(DisaggregationFixture fixture) : IClassFixture<DisaggregationFixture>
{
    public static TheoryData<int, bool> Lengths => new()
    {
        { 1, true }, { 2, true }, { 17, true }, { 300, true }, { 2000, true },
        { 1, false }, { 2, false }, { 17, false }, { 300, false }, { 2000, false },
    };

    [Theory]
    [MemberData(nameof(Lengths))]
    public async Task Disaggregated_GreedyOutput_EqualsSingleEngine(int length, bool prefixCache)
    {
        var ct = TestContext.Current.CancellationToken;
        var prompt = Prompt(seed: length * 2 + (prefixCache ? 1 : 0), length);
        var expected = await SingleEngineAsync(prompt, ct);

        var (generation, prefixMatched) = await DisaggregateAsync(prefixCache, prompt, $"disagg-{length}-{prefixCache}", end: -1, ct);

        Assert.Equal(0, prefixMatched);
        Assert.True(generation.SameTokensAs(expected), $"disaggregated '{generation.Text}' != single '{expected.Text}'");
        Assert.Equal(12, generation.TokenLogprobs.Count);
        await AssertNoLeakAsync(prefixCache, ct);
    }

    [Fact]
    public async Task PrefixCachedOnDecode_RemoteSendCoversOnlyTheRest()
    {
        var ct = TestContext.Current.CancellationToken;
        var prompt = Prompt(seed: 501, 90);
        await PostOkAsync(fixture.DecodeCached.Client, "/v1/completions", GreedyBody(prompt[..37], maxTokens: 1), ct);
        var expected = await SingleEngineAsync(prompt, ct);

        var (generation, prefixMatched) = await DisaggregateAsync(prefixCache: true, prompt, "cached-prefix", end: -1, ct);

        Assert.Equal(37, prefixMatched);
        Assert.True(generation.SameTokensAs(expected), $"disaggregated '{generation.Text}' != single '{expected.Text}'");
        await AssertNoLeakAsync(prefixCache: true, ct);
    }

    [Fact]
    public async Task WholePromptCachedOnDecode_SkipsRemoteSend()
    {
        var ct = TestContext.Current.CancellationToken;
        var prompt = Prompt(seed: 502, 64);
        await PostOkAsync(fixture.DecodeCached.Client, "/v1/completions", GreedyBody(prompt, maxTokens: 2), ct);
        var expected = await SingleEngineAsync(prompt, ct);
        var prefillBefore = (await fixture.PrefillCached.MetricsAsync(ct))["mlc_reference_requests_total"];

        var (generation, prefixMatched) = await DisaggregateAsync(prefixCache: true, prompt, "cached-whole", end: -1, ct);

        Assert.Equal(prompt.Length - 1, prefixMatched);
        Assert.Equal(prefillBefore, (await fixture.PrefillCached.MetricsAsync(ct))["mlc_reference_requests_total"]);
        Assert.True(generation.SameTokensAs(expected), $"disaggregated '{generation.Text}' != single '{expected.Text}'");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task BalancedWindow_DecodePrefillsTheTail_EqualsSingleEngine(bool prefixCache)
    {
        var ct = TestContext.Current.CancellationToken;
        var prompt = Prompt(seed: 503 + (prefixCache ? 1 : 0), 300);
        var expected = await SingleEngineAsync(prompt, ct);

        var (generation, _) = await DisaggregateAsync(prefixCache, prompt, $"balanced-{prefixCache}", end: 270, ct);

        Assert.True(generation.SameTokensAs(expected), $"disaggregated '{generation.Text}' != single '{expected.Text}'");
        await AssertNoLeakAsync(prefixCache, ct);
    }

    [Fact]
    public async Task KvSentToTheWrongRecvRank_NeverYieldsTheSameTokens()
    {
        var ct = TestContext.Current.CancellationToken;
        var (prefill, decode) = fixture.Pair(prefixCache: false);
        var prompt = Prompt(seed: 505, 40);
        var expected = await SingleEngineAsync(prompt, ct);
        var body = GreedyBody(prompt, user: "wrong-rank");

        var prepared = await PostOkAsync(decode.Client, "/microserving/prep_recv", With(body, ("end", -1)), ct);
        using var send = await PostAsync(prefill.Client, "/microserving/remote_send", With(body,
            ("begin", 0), ("end", 39), ("kv_addr_info", prepared["kv_append_metadata"]!.GetValue<string>()), ("recv_rank", 0)), ct);
        var generated = ReadGeneration(await PostOkAsync(decode.Client, "/microserving/start_generate", With(body, ("begin", 39)), ct));

        Assert.False(send.IsSuccessStatusCode && generated.SameTokensAs(expected), "KV pushed to the wrong PE still produced the single-engine output");
        Assert.Equal(HttpStatusCode.BadRequest, send.StatusCode);
        Assert.False(generated.SameTokensAs(expected));
        await AssertNoLeakAsync(prefixCache: false, ct);
    }

    [Fact]
    public async Task KvSentToTheWrongRecvRank_WhoseEngineHoldsOtherParkedRequests_NeverYieldsTheSameTokens()
    {
        var ct = TestContext.Current.CancellationToken;
        var wrong = fixture.DecodeUncached;
        var prompt = Prompt(seed: 514, 16);
        var expected = await SingleEngineAsync(prompt, ct);

        // Four parked 4,095-position windows fill PE 3's 1,024 pages: every slot is reserved but offset 15 of each
        // window's last page. A's window (offsets 0-14 of one page on PE 1) therefore lands in other requests' slots.
        var parked = new List<JsonObject>();
        var lastReserved = -1L;
        for (var i = 0; i < 4; i++)
        {
            var other = GreedyBody(Prompt(seed: 510 + i, 4096), maxTokens: 1, user: $"parked-{i}");
            var reserved = DecodeMetadata((await PostOkAsync(wrong.Client, "/microserving/prep_recv", With(other, ("end", -1)), ct))["kv_append_metadata"]!.GetValue<string>());
            lastReserved = reserved[^2] + reserved[^1] - 1;
            parked.Add(other);
        }

        var body = GreedyBody(prompt, user: "wrong-rank-parked");
        var prepared = await PostOkAsync(fixture.DecodeCached.Client, "/microserving/prep_recv", With(body, ("end", -1)), ct);
        using var send = await PostAsync(fixture.PrefillUncached.Client, "/microserving/remote_send", With(body,
            ("begin", 0), ("end", 15), ("kv_addr_info", prepared["kv_append_metadata"]!.GetValue<string>()), ("recv_rank", 3)), ct);
        var generated = ReadGeneration(await PostOkAsync(fixture.DecodeCached.Client, "/microserving/start_generate", With(body, ("begin", 15)), ct));

        // As NVSHMEM, the receiver writes a reserved slot whoever reserved it: the push succeeds, and the output differs.
        Assert.Equal(0, prepared["prefix_matched_length"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.OK, send.StatusCode);
        Assert.False(generated.SameTokensAs(expected), "KV pushed to the wrong PE still produced the single-engine output");

        // A slot that nobody reserved (offset 15 of a 16-slot page) is refused, even in a page whose other slots are reserved.
        var stray = GreedyBody(Prompt(seed: 515, 2), user: "unreserved-slot");
        using var unreserved = await PostAsync(fixture.PrefillUncached.Client, "/microserving/remote_send", With(stray,
            ("begin", 0), ("end", 1), ("kv_addr_info", EncodeMetadata($"[1,{lastReserved + 1},1]")), ("recv_rank", 3)), ct);
        Assert.Equal(15, (lastReserved + 1) % 16);
        Assert.Equal(HttpStatusCode.BadRequest, unreserved.StatusCode);
        Assert.Contains("refused", await unreserved.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);

        foreach (var other in parked)
        {
            await PostOkAsync(wrong.Client, "/microserving/start_generate", With(other, ("begin", 4095)), ct);
        }

        await Task.WhenAll(wrong.WaitIdleAsync(ct), fixture.DecodeCached.WaitIdleAsync(ct), fixture.PrefillUncached.WaitIdleAsync(ct));
    }

    [Fact]
    public async Task WindowShiftedByOne_IsRejectedAndTheEngineStaysHealthy()
    {
        var ct = TestContext.Current.CancellationToken;
        var (prefill, decode) = fixture.Pair(prefixCache: false);
        var prompt = Prompt(seed: 506, 40);
        var expected = await SingleEngineAsync(prompt, ct);
        var body = GreedyBody(prompt, user: "shifted");
        var prepared = await PostOkAsync(decode.Client, "/microserving/prep_recv", With(body, ("end", -1)), ct);
        var metadata = prepared["kv_append_metadata"]!.GetValue<string>();

        using var shiftedBegin = await PostAsync(prefill.Client, "/microserving/remote_send", With(body,
            ("begin", 1), ("end", 39), ("kv_addr_info", metadata), ("recv_rank", 3)), ct);
        using var shiftedEnd = await PostAsync(prefill.Client, "/microserving/remote_send", With(body,
            ("begin", 0), ("end", 38), ("kv_addr_info", metadata), ("recv_rank", 3)), ct);
        using var shiftedStart = await PostAsync(decode.Client, "/microserving/start_generate", With(body, ("begin", 38)), ct);

        Assert.Equal(HttpStatusCode.BadRequest, shiftedBegin.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, shiftedEnd.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, shiftedStart.StatusCode);
        Assert.Contains("start_generate", await shiftedStart.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);

        var generated = ReadGeneration(await PostOkAsync(decode.Client, "/microserving/start_generate", With(body, ("begin", 39)), ct));
        Assert.False(generated.SameTokensAs(expected), "start_generate over KV that never arrived matched the single-engine output");
        await AssertNoLeakAsync(prefixCache: false, ct);
    }

    [Fact]
    public async Task StartGenerateStreamDropped_ReleasesTheParkedRequest()
    {
        var ct = TestContext.Current.CancellationToken;
        var decode = fixture.DecodeUncached;
        var body = GreedyBody(Prompt(seed: 507, 100), maxTokens: 4000, user: "stranded");
        body["stream"] = true;
        await PostOkAsync(decode.Client, "/microserving/prep_recv", With(body, ("end", -1)), ct);
        await decode.WaitForMetricAsync("mlc_reference_parked_requests", 1, ct);
        Assert.True((await decode.MetricsAsync(ct))["mlc_reference_kv_pages_used"] > 0);

        // The router's release: start_generate with stream=true, then drop the connection after the first chunk.
        using (var response = await PostAsync(decode.Client, "/microserving/start_generate", With(body, ("begin", 99)), ct, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
            Assert.StartsWith("data: {", await reader.ReadLineAsync(ct), StringComparison.Ordinal);
        }

        await decode.WaitIdleAsync(ct);
    }

    private async Task<Generation> SingleEngineAsync(int[] prompt, CancellationToken ct) =>
        ReadGeneration(await PostOkAsync(fixture.PrefillUncached.Client, "/v1/completions", GreedyBody(prompt), ct));

    /// <summary>The Python router's three calls (mlc-protocol.md §5.4), with start_generate streamed as a router relays it.</summary>
    private async Task<(Generation Generation, int PrefixMatched)> DisaggregateAsync(bool prefixCache, int[] prompt, string id, int end, CancellationToken ct)
    {
        var (prefill, decode) = fixture.Pair(prefixCache);
        var body = GreedyBody(prompt, user: id);
        body["stream"] = true;
        body["stream_options"] = new JsonObject { ["include_usage"] = true };

        var prepared = await PostOkAsync(decode.Client, "/microserving/prep_recv", With(body, ("end", end)), ct);
        var metadata = prepared["kv_append_metadata"]!.GetValue<string>();
        var prefixMatched = prepared["prefix_matched_length"]!.GetValue<int>();
        var resolvedEnd = end < 0 ? prompt.Length + end : end;
        var segments = DecodeMetadata(metadata);
        Assert.Equal(resolvedEnd - prefixMatched, Enumerable.Range(0, (int)segments[0]).Sum(s => segments[2 + 2 * s]));

        if (prefixMatched < resolvedEnd)
        {
            var sent = await PostOkAsync(prefill.Client, "/microserving/remote_send", With(body,
                ("begin", prefixMatched), ("end", resolvedEnd), ("kv_addr_info", metadata), ("recv_rank", DisaggregationFixture.DecodePe(prefixCache))), ct);
            Assert.Equal("{}", sent.ToJsonString());
        }

        using var response = await PostAsync(decode.Client, "/microserving/start_generate", With(body, ("begin", resolvedEnd)), ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var data = SseData(await response.Content.ReadAsStringAsync(ct));
        var usage = JsonNode.Parse(data[^2])!;
        Assert.Equal(id, usage["id"]!.GetValue<string>());
        Assert.Empty(usage["choices"]!.AsArray());
        Assert.Equal(prompt.Length, usage["usage"]!["prompt_tokens"]!.GetValue<int>());
        return (JoinStream(data), prefixMatched);
    }

    private async Task AssertNoLeakAsync(bool prefixCache, CancellationToken ct)
    {
        var (prefill, decode) = fixture.Pair(prefixCache);
        await Task.WhenAll(prefill.WaitIdleAsync(ct), decode.WaitIdleAsync(ct));
    }

    private static JsonObject With(JsonObject body, params (string Name, JsonNode? Value)[] fields)
    {
        var copy = body.DeepClone().AsObject();
        foreach (var (name, value) in fields)
        {
            copy[name] = value;
        }

        return copy;
    }
}
