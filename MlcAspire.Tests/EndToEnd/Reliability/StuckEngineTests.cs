using System.Text.Json.Nodes;
using static MlcAspire.Tests.EndToEnd.Reliability.ReliabilityCalls;

namespace MlcAspire.Tests.EndToEnd.Reliability;

[Trait("Category", "EndToEnd")]
public sealed class StuckEngineTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EngineWhoseHttpAnswersButGenerationIsStuck_LeavesRotation_WhileItsRequestIsStillOpen()
    {
        // engine-1 answers readiness but never sends a second token; the idle timeout is far away, so only the
        // active progress check can find it.
        await using var app = TestingApp.Create(
            new Dictionary<string, IReadOnlyDictionary<string, string>>
            {
                ["router"] = new Dictionary<string, string>
                {
                    ["Router__IdleTimeout"] = "00:10:00",
                    ["Router__StuckTimeout"] = "00:00:05",
                    ["Router__ProbeInterval"] = "00:00:00.2",
                    ["Router__ProbeTimeout"] = "00:00:30",
                    ["Router__BreakDuration"] = "00:10:00",
                },
                ["engine-1"] = new Dictionary<string, string> { ["MLC_REFERENCE_FAULTS"] = "stall_between_chunks_ms=600000" },
            },
            "--router-mode", "round-robin");
        await app.StartAsync(Token).WaitAsync(TestingApp.DefaultTimeout, Token);
        using var router = app.CreateHttpClient("router");

        // Two concurrent requests take one engine each (least loaded); the one on engine-1 stalls after its first chunk.
        using var leave = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var first = StreamAsync(router, StreamBody(new JsonArray(1, 2, 3), maxTokens: 8), leave.Token);
        var second = StreamAsync(router, StreamBody(new JsonArray(4, 5, 6), maxTokens: 8), leave.Token);
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

        // The client of the stuck request leaves; the router cancels the engine call and the engine frees it.
        await leave.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stalled);
        await WaitForRouterIdleAsync(router, Token);
        await WaitForNoReservedStateAsync(app, ["engine-0", "engine-1"], Token);
    }
}
