using System.Net;
using System.Text.Json.Nodes;
using static MlcAspire.Tests.EndToEnd.ReferenceEngine.EngineCalls;

namespace MlcAspire.Tests.EndToEnd.ReferenceEngine;

/// <summary>
/// A timing-model engine (20 ms a decode step) whose KV cache holds 16 pages: a 150-token generation runs for
/// seconds, so a second one started meanwhile surely finds the cache full, however loaded the machine is.
/// </summary>
public sealed class SlowSmallEngineFixture : IAsyncLifetime
{
    internal EngineProcess Engine { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Engine = EngineProcess.Start(
            ["--enable-debug", "--prefix-cache-mode", "disable", "--overrides", "max_total_seq_length=256;max_num_sequence=4;prefill_chunk_size=64"],
            model: Path.Combine(RepositoryPaths.Root, "models", "reference-timing"));
        await Engine.WaitReadyAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync() => await Engine.DisposeAsync();
}

/// <summary>In disaggregation a preempted request is not recomputed: it ends with "preempt" (mlc-protocol.md §2.3).</summary>
[Trait("Category", "EndToEnd")]
public sealed class DisaggregatedPreemptionTests(SlowSmallEngineFixture fixture) : IClassFixture<SlowSmallEngineFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DisaggregatedRequest_WhenPreempted_EndsWithFinishReasonPreempt()
    {
        var client = fixture.Engine.Client;
        var running = GreedyBody(Prompt(seed: 603, 40), maxTokens: 150);
        running["stream"] = true;
        using var runningResponse = await PostAsync(client, "/v1/completions", running, Ct, HttpCompletionOption.ResponseHeadersRead);
        var runningBody = runningResponse.Content.ReadAsStringAsync(Ct);

        // A zero-length KV window (end = 0): nothing to send, so start_generate prefills the whole prompt on this engine.
        // 40 + 150 positions each: the two cannot both fit in 16 pages, and this one is the newest.
        var disaggregated = GreedyBody(Prompt(seed: 604, 40), maxTokens: 150, user: "to-preempt");
        disaggregated["stream"] = true;
        disaggregated["stream_options"] = new JsonObject { ["include_usage"] = true };
        disaggregated["end"] = 0;
        var prepared = await PostOkAsync(client, "/microserving/prep_recv", disaggregated, Ct);
        Assert.Equal([0L], DecodeMetadata(prepared["kv_append_metadata"]!.GetValue<string>()));
        disaggregated.Remove("end");
        disaggregated["begin"] = 0;
        using var generated = await PostAsync(client, "/microserving/start_generate", disaggregated, Ct);
        var data = SseData(await generated.Content.ReadAsStringAsync(Ct));

        Assert.Equal(HttpStatusCode.OK, generated.StatusCode);
        Assert.Equal("preempt", JoinStream(data).FinishReason);
        Assert.Equal(0, JsonNode.Parse(data[^2])!["usage"]!["completion_tokens"]!.GetValue<int>());
        Assert.Equal("length", JoinStream(SseData(await runningBody)).FinishReason);
        await fixture.Engine.WaitIdleAsync(Ct);
    }
}
