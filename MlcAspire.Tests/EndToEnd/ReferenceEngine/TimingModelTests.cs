using System.Net;
using System.Text.Json.Nodes;
using static MlcAspire.Tests.EndToEnd.ReferenceEngine.EngineCalls;

namespace MlcAspire.Tests.EndToEnd.ReferenceEngine;

/// <summary>An engine on the timing model (<c>models/reference-timing</c>).</summary>
public sealed class TimingEngineFixture : IAsyncLifetime
{
    internal EngineProcess Engine { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Engine = EngineProcess.Start(["--enable-debug", "--mode", "server"], model: Path.Combine(RepositoryPaths.Root, "models", "reference-timing"));
        await Engine.WaitReadyAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync() => await Engine.DisposeAsync();
}

/// <summary>The timing model serves the same API as the transformer, MicroServing included.</summary>
[Trait("Category", "EndToEnd")]
public sealed class TimingModelTests(TimingEngineFixture fixture, TimingDisaggregationFixture pair)
    : IClassFixture<TimingEngineFixture>, IClassFixture<TimingDisaggregationFixture>
{
    [Fact]
    public async Task Completion_StreamsTheRequestedTokens()
    {
        var body = GreedyBody(Prompt(seed: 701, 50), maxTokens: 20);
        body["stream"] = true;
        using var response = await PostAsync(fixture.Engine.Client, "/v1/completions", body, TestContext.Current.CancellationToken);
        var generation = JoinStream(SseData(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(20, generation.TokenLogprobs.Count);
        Assert.Equal("length", generation.FinishReason);
    }

    [Fact]
    public async Task MicroServing_ZeroWindow_EqualsAnOrdinaryCompletion()
    {
        var ct = TestContext.Current.CancellationToken;
        var prompt = Prompt(seed: 702, 30);
        var expected = ReadGeneration(await PostOkAsync(fixture.Engine.Client, "/v1/completions", GreedyBody(prompt), ct));
        var body = GreedyBody(prompt, user: "timing-disagg");
        body["end"] = 0;

        var prepared = await PostOkAsync(fixture.Engine.Client, "/microserving/prep_recv", body, ct);
        body.Remove("end");
        body["begin"] = 0;
        var generated = ReadGeneration(await PostOkAsync(fixture.Engine.Client, "/microserving/start_generate", body, ct));

        Assert.Equal(0, prepared["prefix_matched_length"]!.GetValue<int>());
        Assert.True(generated.SameTokensAs(expected));
        await fixture.Engine.WaitIdleAsync(ct);
    }

    [Fact]
    public async Task MicroServing_HandoffBetweenTwoEngines_GeneratesTheSingleEngineTokens()
    {
        var ct = TestContext.Current.CancellationToken;
        var prompt = Prompt(seed: 703, 300);
        var expected = ReadGeneration(await PostOkAsync(pair.Prefill.Client, "/v1/completions", GreedyBody(prompt, maxTokens: 16), ct));
        JsonObject Body(params (string Name, JsonNode Value)[] fields)
        {
            var body = GreedyBody(prompt, maxTokens: 16, user: "timing-handoff");
            foreach (var (name, value) in fields)
            {
                body[name] = value;
            }

            return body;
        }

        var prepared = await PostOkAsync(pair.Decode.Client, "/microserving/prep_recv", Body(("end", -1)), ct);
        var metadata = prepared["kv_append_metadata"]!.GetValue<string>();
        var sent = await PostOkAsync(pair.Prefill.Client, "/microserving/remote_send",
            Body(("begin", 0), ("end", 299), ("kv_addr_info", metadata), ("recv_rank", TimingDisaggregationFixture.DecodePe)), ct);
        var generated = ReadGeneration(await PostOkAsync(pair.Decode.Client, "/microserving/start_generate", Body(("begin", 299)), ct));

        Assert.Equal(0, prepared["prefix_matched_length"]!.GetValue<int>());
        Assert.Equal(299L, DecodeMetadata(metadata).Where((_, i) => i > 0 && i % 2 == 0).Sum());
        Assert.Equal("{}", sent.ToJsonString());
        Assert.Equal(16, generated.TokenLogprobs.Count);
        Assert.Equal("length", generated.FinishReason);
        // The next token depends on position 0's KV row (a prompt token, not 0), so equal tokens mean the window arrived.
        Assert.NotEqual(0, prompt[0]);
        Assert.True(generated.SameTokensAs(expected), $"handed-off '{generated.Text}' != single '{expected.Text}'");
        await Task.WhenAll(pair.Prefill.WaitIdleAsync(ct), pair.Decode.WaitIdleAsync(ct));
    }
}
