using System.Diagnostics;
using System.Text.Json.Nodes;
using static MlcAspire.Tests.EndToEnd.Reliability.ReliabilityCalls;

namespace MlcAspire.Tests.EndToEnd.Reliability;

[Trait("Category", "EndToEnd")]
public sealed class StuckEngineTests
{
    /// <summary>The router's idle timeout here: the bound within which the stuck request must end.</summary>
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(12);

    /// <summary>How late past <see cref="IdleTimeout"/> the error may reach the client on a loaded machine.</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(6);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EngineWhoseHttpAnswersButGenerationIsStuck_LeavesRotation_ThenItsRequestEndsAtTheIdleTimeout()
    {
        // engine-1 answers readiness but never sends a second token. The active progress check (3 s) finds it first,
        // while its request is still open; the idle timeout then ends that request with a clear error.
        await using var app = await AspireApp.StartAsync(["--router-mode", "round-robin"], Token, environment: new Dictionary<string, IReadOnlyDictionary<string, string>>
            {
                ["router"] = new Dictionary<string, string>
                {
                    ["Router__IdleTimeout"] = IdleTimeout.ToString("c"),
                    ["Router__StuckTimeout"] = "00:00:03",
                    ["Router__ProbeInterval"] = "00:00:00.2",
                    ["Router__ProbeTimeout"] = "00:00:30",
                    ["Router__BreakDuration"] = "00:10:00",
                },
                ["engine-1"] = new Dictionary<string, string> { ["MLC_REFERENCE_FAULTS"] = "stall_between_chunks_ms=600000" },
            });
        using var router = app.CreateHttpClient("router");

        // Two concurrent requests take one engine each (least loaded); the one on engine-1 stalls after its first chunk.
        var sent = Stopwatch.GetTimestamp();
        var first = StreamAsync(router, StreamBody(new JsonArray(1, 2, 3), maxTokens: 8), Token);
        var second = StreamAsync(router, StreamBody(new JsonArray(4, 5, 6), maxTokens: 8), Token);
        var completed = await Task.WhenAny(first, second);
        Assert.True((await completed).Done, (await completed).ToString());
        var stalled = completed == first ? second : first;

        string? lastFailure = null;
        using (var bound = CancellationTokenSource.CreateLinkedTokenSource(Token))
        {
            bound.CancelAfter(RequestBound);
            while ((await EngineStatusAsync(router, bound.Token))["engine-1"] is var engine && engine["circuit"]!.GetValue<string>() != "Open")
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), bound.Token);
            }

            lastFailure = (await EngineStatusAsync(router, bound.Token))["engine-1"]["last_failure"]!.GetValue<string>();
        }

        Assert.Contains("produced nothing", lastFailure);
        Assert.False(stalled.IsCompleted);
        var after = await StreamAsync(router, StreamBody(new JsonArray(7, 8, 9), maxTokens: 4), Token);
        Assert.True(after.Done, after.ToString());

        CompletionOutcome outcome;
        try
        {
            outcome = await stalled;
        }
        catch (OperationCanceledException) when (!Token.IsCancellationRequested)
        {
            Assert.Fail($"The stuck request was still open after {RequestBound}; the router's idle timeout of {IdleTimeout} should have ended it.");
            throw;
        }

        var elapsed = Stopwatch.GetElapsedTime(sent);
        Assert.True(outcome.Status == 200 && outcome.Chunks > 0 && outcome.ErrorCode == "engine_timeout", outcome.ToString());
        Assert.True(elapsed < IdleTimeout + Slack, $"The stuck request ended after {elapsed}, not within the idle timeout of {IdleTimeout} (+{Slack}).");
        TestContext.Current.TestOutputHelper?.WriteLine($"stuck engine: circuit open while its request was open; the request ended with engine_timeout after {elapsed.TotalSeconds:F1} s (idle timeout {IdleTimeout.TotalSeconds} s)");
        await WaitForRouterIdleAsync(router, Token);
        await WaitForNoReservedStateAsync(app, ["engine-0", "engine-1"], Token);
        await AssertRouterHealthyAsync(router, Token);
    }
}
