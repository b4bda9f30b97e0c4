using System.Net;
using System.Text.Json.Nodes;
using static MlcAspire.Tests.EndToEnd.ReferenceEngine.EngineCalls;

namespace MlcAspire.Tests.EndToEnd.ReferenceEngine;

/// <summary>An engine with the test fault switches on: a stall between chunks and a connection cut after 3 chunks.</summary>
public sealed class FaultyEngineFixture : IAsyncLifetime
{
    internal EngineProcess Engine { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Engine = EngineProcess.Start(["--enable-debug"], new Dictionary<string, string> { ["MLC_REFERENCE_FAULTS"] = "stall_between_chunks_ms=5;abort_stream_after_chunks=3" });
        await Engine.WaitReadyAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync() => await Engine.DisposeAsync();
}

[Trait("Category", "EndToEnd")]
public sealed class EngineFaultTests(FaultyEngineFixture fixture) : IClassFixture<FaultyEngineFixture>
{
    [Fact]
    public async Task AbortStreamAfterChunks_CutsTheStreamWithoutDone_AndFreesTheRequest()
    {
        var ct = TestContext.Current.CancellationToken;
        var body = GreedyBody(Prompt(seed: 801, 20), maxTokens: 50);
        body["stream"] = true;
        using var response = await PostAsync(fixture.Engine.Client, "/v1/completions", body, ct, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        var frames = new List<string>();

        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                if (line.Length > 0)
                {
                    frames.Add(line);
                }
            }
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // The cut is a reset, which may also drop the last frames still in flight.
        Assert.InRange(frames.Count, 1, 3);
        Assert.DoesNotContain("data: [DONE]", frames);
        await fixture.Engine.WaitIdleAsync(ct);
    }

    [Fact]
    public async Task NonStreamRequests_AreUnaffected()
    {
        var completion = await PostOkAsync(fixture.Engine.Client, "/v1/completions", GreedyBody(Prompt(seed: 802, 20), maxTokens: 8), TestContext.Current.CancellationToken);

        Assert.Equal("length", ReadGeneration(completion).FinishReason);
    }
}
