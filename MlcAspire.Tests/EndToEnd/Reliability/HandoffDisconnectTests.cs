using System.Text.Json.Nodes;
using MlcAspire.Tests.EndToEnd.Router;
using static MlcAspire.Tests.EndToEnd.Reliability.ReliabilityCalls;

namespace MlcAspire.Tests.EndToEnd.Reliability;

/// <summary>
/// Clients that leave in each handoff phase, made to land in that phase by the engines' fault switches, and a mix of
/// every way out of a request through one router: afterwards no engine counts load and no decode engine holds state.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class HandoffDisconnectTests(HandoffFaultsFixture fixture) : IClassFixture<HandoffFaultsFixture>
{
    private const string RequestsTotal = "mlc_reference_requests_total";
    private const string ParkedRequests = "mlc_reference_parked_requests";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ClientDisconnect_WhilePrepRecvIsHeldAfterTheDecodeEngineReserved_LeavesNoLoadAndNoReservedState()
    {
        var (prefill, decode) = (fixture.World.Engines[3], fixture.World.Engines[2]);
        using var router = fixture.HeldPrepRecvRouter.CreateHttpClient("router");
        var sendsBefore = (await EngineMetricsAsync(prefill, Token))[RequestsTotal];

        await LeaveOncePrepRecvParkedAsync(router, decode, seed: 1);

        await WaitForRouterIdleAsync(router, Token);
        await WaitForNoReservedStateAsync([decode], Token);
        Assert.Equal(sendsBefore, (await EngineMetricsAsync(prefill, Token))[RequestsTotal]);
        await AssertRouterHealthyAsync(router, Token);
    }

    [Fact]
    public async Task PrepRecvTimesOutAfterTheDecodeEngineParked_ItsAnswerLost_TheRouterSettlesTheId_AndNoReservedStateRemains()
    {
        var decode = fixture.World.Engines[2];
        using var router = fixture.TimedOutPrepRecvRouter.CreateHttpClient("router");

        // The prep_recv parks at once and answers only after the router's timeout: it times out with its window parked
        // on engine-2 (not retried: the engine got it), and the client gets the timeout.
        var outcome = await StreamAsync(router, StreamBody(Tokens(40, seed: 4), maxTokens: 8), Token);

        Assert.True(outcome.Status == 504 && outcome.ErrorCode == "engine_timeout", outcome.ToString());
        await WaitForRouterIdleAsync(router, Token);
        await WaitForNoReservedStateAsync([decode], Token);
    }

    [Fact]
    public async Task ClientDisconnect_WhilePrepRecvIsInFlight_ThenItTimesOutAfterTheDecodeEngineParked_LeavesNoReservedState()
    {
        var decode = fixture.World.Engines[2];
        using var router = fixture.TimedOutPrepRecvRouter.CreateHttpClient("router");

        await LeaveOncePrepRecvParkedAsync(router, decode, seed: 5);

        await WaitForRouterIdleAsync(router, Token);
        await WaitForNoReservedStateAsync([decode], Token);
    }

    [Fact]
    public async Task ClientDisconnect_WhileRemoteSendIsHeldOnThePrefillEngine_LeavesNoLoadAndNoReservedState()
    {
        var (prefill, decode) = (fixture.World.Engines[0], fixture.World.Engines[1]);
        using var router = fixture.HeldRemoteSendRouter.CreateHttpClient("router");

        await LeaveDuringRemoteSendAsync(router, prefill, decode, seed: 2);

        await WaitForRouterIdleAsync(router, Token);
        await WaitForNoReservedStateAsync([prefill, decode], Token);
        await AssertRouterHealthyAsync(router, Token);
    }

    [Fact]
    public async Task ClientDisconnect_DuringStartGenerateStreaming_LeavesNoLoadAndNoReservedState()
    {
        var (prefill, decode) = (fixture.World.Engines[3], fixture.World.Engines[1]);
        using var router = fixture.StreamingRouter.CreateHttpClient("router");
        var sendsBefore = (await EngineMetricsAsync(prefill, Token))[RequestsTotal];

        using var leave = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var request = StreamAsync(router, StreamBody(Tokens(40, seed: 3), maxTokens: 200), leave.Token, async () =>
        {
            // The KV was pushed and engine-1 is still generating: the stream is in its start_generate phase.
            Assert.Equal(sendsBefore + 1, (await EngineMetricsAsync(prefill, Token))[RequestsTotal]);
            Assert.Equal(1, (await EngineMetricsAsync(decode, Token))["mlc_reference_running_requests"]);
            await leave.CancelAsync();
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);

        await WaitForRouterIdleAsync(router, Token);
        await WaitForNoReservedStateAsync([prefill, decode], Token);
        await AssertRouterHealthyAsync(router, Token);
    }

    [Fact]
    public async Task MixOfSuccessesEngineErrorsDisconnectsAndPreempts_ThroughOneRouter_LeavesNoLoadAndNoReservedState()
    {
        // engine-0 holds every remote_send; a one-token prompt has an empty KV window at balance 0, so it never gets there.
        var (prefill, decode) = (fixture.World.Engines[0], fixture.World.Engines[1]);
        using var router = fixture.HeldRemoteSendRouter.CreateHttpClient("router");
        var preemptionsBefore = (await EngineMetricsAsync(decode, Token))["mlc_reference_preemptions_total"];

        var successes = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => StreamAsync(router, StreamBody(new JsonArray(10 + i), maxTokens: 8), Token)));
        Assert.All(successes, outcome => Assert.True(outcome.Done, outcome.ToString()));

        // A window larger than engine-1's whole cache: its prep_recv answers 400, and so does the router.
        var engineErrors = await Task.WhenAll(Enumerable.Range(0, 2).Select(i => StreamAsync(router, StreamBody(Tokens(300, seed: 10 + i), maxTokens: 4), Token)));
        Assert.All(engineErrors, outcome => Assert.True(outcome.Status == 400 && outcome.ErrorCode is not null, outcome.ToString()));

        // A second generation while the first runs: 201 + 151 positions do not fit 16 pages, so the newer one is
        // preempted; the router restarts it, and if the first still holds the pages when retries run out, it fails.
        var firstStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = StreamAsync(router, StreamBody(new JsonArray(20), maxTokens: 200), Token, () => { firstStarted.TrySetResult(); return Task.CompletedTask; });
        await firstStarted.Task.WaitAsync(RequestBound, Token);
        var preempted = await Task.WhenAll(first, StreamAsync(router, StreamBody(new JsonArray(21), maxTokens: 150), Token));
        var preemptions = (await EngineMetricsAsync(decode, Token))["mlc_reference_preemptions_total"] - preemptionsBefore;
        Assert.True(preemptions > 0, "engine-1 preempted nothing: " + string.Join(", ", preempted.Select(o => o.ToString())));
        Assert.True(preempted[0].Done, preempted[0].ToString());
        Assert.True(preempted[1].Done || preempted[1].ErrorCode is { } code && !code.StartsWith('<'), preempted[1].ToString());

        // prep_recv: a long generation holds pages, so a 200-token window (13 pages) waits in engine-1's page queue;
        // that client leaves. Then start_generate: the generation's own client leaves while it streams.
        using var leaveGeneration = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var generationStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var generation = StreamAsync(router, StreamBody(new JsonArray(30), maxTokens: 200), leaveGeneration.Token,
            () => { generationStarted.TrySetResult(); return Task.CompletedTask; });
        await generationStarted.Task.WaitAsync(RequestBound, Token);
        await WaitUntilAsync("engine-1's generation holds 4 pages",
            async ct => (await EngineMetricsAsync(decode, ct))["mlc_reference_kv_pages_used"] >= 4, ct => DescribeAsync(decode, ct), Token);
        using (var leaveWaiting = CancellationTokenSource.CreateLinkedTokenSource(Token))
        {
            var waiting = StreamAsync(router, StreamBody(Tokens(200, seed: 12), maxTokens: 4), leaveWaiting.Token);
            await WaitForMetricAsync(decode, "mlc_reference_pending_receives", 1, "engine-1 holds the prep_recv until pages free up");
            await leaveWaiting.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        }

        Assert.False(generation.IsCompleted);
        Assert.Equal(1, (await EngineMetricsAsync(decode, Token))["mlc_reference_running_requests"]);
        await leaveGeneration.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => generation);

        await LeaveDuringRemoteSendAsync(router, prefill, decode, seed: 13);

        var after = await StreamAsync(router, StreamBody(new JsonArray(40), maxTokens: 4), Token);
        Assert.True(after.Done, after.ToString());
        await WaitForRouterIdleAsync(router, Token);
        await WaitForNoReservedStateAsync([prefill, decode], Token);
        await AssertRouterHealthyAsync(router, Token);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"one router, {successes.Length + 1} completed, {engineErrors.Length} engine errors (400), 3 client disconnects (prep_recv, remote_send, " +
            $"start_generate), 2 generations in a preemption ({preemptions} preemptions; the newer one {(preempted[1].Done ? "completed after a restart" : "ended with " + preempted[1].ErrorCode)}): " +
            "load back to zero, no reserved state");
    }

    /// <summary>A client leaves once the decode engine parked its window, while the router still waits for the prep_recv answer.</summary>
    private static async Task LeaveOncePrepRecvParkedAsync(HttpClient router, RunningEngine decode, int seed)
    {
        using var leave = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var request = StreamAsync(router, StreamBody(Tokens(40, seed), maxTokens: 8), leave.Token);
        await WaitForMetricAsync(decode, ParkedRequests, 1, $"{decode.Name} reserved the window and holds its prep_recv answer");
        await leave.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
    }

    /// <summary>A client leaves once the decode engine parked its window and the prefill engine holds the remote_send.</summary>
    private static async Task LeaveDuringRemoteSendAsync(HttpClient router, RunningEngine prefill, RunningEngine decode, int seed)
    {
        var sendsBefore = (await EngineMetricsAsync(prefill, Token))[RequestsTotal];
        using var leave = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var request = StreamAsync(router, StreamBody(Tokens(20, seed), maxTokens: 8), leave.Token);
        await WaitForMetricAsync(decode, ParkedRequests, 1, $"{decode.Name} parked the window (prep_recv answered; {prefill.Name} holds the remote_send)");
        Assert.Equal(1, (await EngineStatusAsync(router, Token))[prefill.Name]["active_requests"]!.GetValue<int>());
        await leave.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);

        // The held remote_send never reached the engine loop.
        Assert.Equal(sendsBefore, (await EngineMetricsAsync(prefill, Token))[RequestsTotal]);
    }

    private static Task WaitForMetricAsync(RunningEngine engine, string name, double value, string what) =>
        WaitUntilAsync(what, async ct => (await EngineMetricsAsync(engine, ct))[name] == value, ct => DescribeAsync(engine, ct), Token);

    private static async Task<string> DescribeAsync(RunningEngine engine, CancellationToken cancellationToken) =>
        $"{engine.Name}: " + string.Join(", ", (await EngineMetricsAsync(engine, cancellationToken)).Select(m => $"{m.Key}={m.Value}"));

    private static JsonArray Tokens(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (JsonNode)random.Next(1, 1000))];
    }
}
