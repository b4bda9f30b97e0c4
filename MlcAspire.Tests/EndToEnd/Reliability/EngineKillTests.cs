using System.Net;
using System.Text.Json.Nodes;
using static MlcAspire.Tests.EndToEnd.Reliability.ReliabilityCalls;

namespace MlcAspire.Tests.EndToEnd.Reliability;

/// <summary>
/// Engines killed in the middle of a disaggregated request, each test on its own topology (a killed engine does not
/// come back): a decode engine mid-stream, and a prefill engine during remote_send.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class EngineKillTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static readonly Dictionary<string, string> RouterSettings = new()
    {
        ["Router__ProbeInterval"] = "00:00:00.2",
        ["Router__BreakDuration"] = "00:10:00",
    };

    [Fact]
    public async Task DecodeEngineKilledMidStream_ItsStreamEndsWithAnError_TheOtherCompletes_AndLaterRequestsAvoidIt()
    {
        // Decode engines pace their tokens, so that both streams are still running when one engine dies.
        var paced = new Dictionary<string, string> { ["MLC_REFERENCE_FAULTS"] = "stall_between_chunks_ms=40" };
        await using var app = await AspireApp.StartAsync(["--endpoint-roles", "Prefill", "Decode", "Decode"], Token, environment: new Dictionary<string, IReadOnlyDictionary<string, string>> { ["router"] = RouterSettings, ["engine-1"] = paced, ["engine-2"] = paced });
        using var router = app.CreateHttpClient("router");

        // Two concurrent requests go to different decode engines (least loaded); once both stream, engine-1 dies.
        var (started, bothStarted) = FirstChunkBarrier(2);
        var first = StreamAsync(router, StreamBody(new JsonArray(1, 2, 3), maxTokens: 200), Token, started);
        var second = StreamAsync(router, StreamBody(new JsonArray(4, 5, 6), maxTokens: 200), Token, started);
        await bothStarted.WaitAsync(RequestBound, Token);
        await app.KillResourceAsync("engine-1", Token);
        var outcomes = await Task.WhenAll(first, second);

        Assert.Single(outcomes, outcome => outcome.Done);
        var failed = Assert.Single(outcomes, outcome => !outcome.Done);
        Assert.Equal("engine_unreachable", failed.ErrorCode);
        Assert.True(failed.Chunks > 0);

        // One later request succeeding would prove nothing (the router retries a failed attempt once): the circuit is
        // open and no later attempt reaches engine-1.
        await AssertAvoidedAsync(router, "engine-1", requests: 4, Token);
        await WaitForRouterIdleAsync(router, Token);
        await WaitForNoReservedStateAsync(app, ["engine-0", "engine-2"], Token);
        await AssertRouterHealthyAsync(router, Token);
    }

    [Fact]
    public async Task PrefillEngineKilledDuringAHandoff_ThatRequestGets502OrIsRetried_TheOtherCompletes_AndLaterRequestsUseTheOtherPrefillEngine()
    {
        // engine-0 holds every remote_send, so the test can kill it while a handoff is in that phase.
        await using var app = await AspireApp.StartAsync(["--endpoint-roles", "Prefill", "Prefill", "Decode"], Token, environment: new Dictionary<string, IReadOnlyDictionary<string, string>>
            {
                ["router"] = RouterSettings,
                ["engine-0"] = new Dictionary<string, string> { ["MLC_REFERENCE_FAULTS"] = "stall_remote_send_ms=600000" },
            });
        using var router = app.CreateHttpClient("router");

        // Two concurrent requests take different prefill engines (least loaded), so one of them waits in engine-0.
        var first = StreamAsync(router, StreamBody(new JsonArray(1, 2, 3, 4, 5), maxTokens: 8), Token);
        var second = StreamAsync(router, StreamBody(new JsonArray(6, 7, 8, 9, 10), maxTokens: 8), Token);
        using (var bound = CancellationTokenSource.CreateLinkedTokenSource(Token))
        {
            bound.CancelAfter(RequestBound);
            while ((await EngineStatusAsync(router, bound.Token))["engine-0"]["active_requests"]!.GetValue<int>() == 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), bound.Token);
            }
        }

        await app.KillResourceAsync("engine-0", Token);
        var outcomes = await Task.WhenAll(first, second);

        // engine-0 is leased from the start of the handoff, so the kill may come before or after it read its remote_send.
        // After: it may have been computing, so that request is not retried (docs/reliability.md) and gets a 502 before
        // any byte. Before: the connection is refused, and the request is retried on engine-1 and completes. A later
        // request completes either way: on engine-1, or refused by engine-0 and retried on engine-1.
        Assert.Contains(outcomes, outcome => outcome.Done);
        Assert.All(outcomes, outcome => Assert.True(outcome.Done || outcome is { Status: 502, Chunks: 0, ErrorCode: "engine_unreachable" }, outcome.ToString()));
        var later = await StreamAsync(router, StreamBody(new JsonArray(11, 12, 13, 14, 15), maxTokens: 8), Token);
        Assert.True(later.Done, later.ToString());
        var engines = await EngineStatusAsync(router, Token);
        Assert.True(engines["engine-0"]["failed_requests"]!.GetValue<long>() > 0);
        await WaitForRouterIdleAsync(router, Token);
        await WaitForNoReservedStateAsync(app, ["engine-1", "engine-2"], Token);
        using var health = await router.GetAsync("/health", Token);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}
