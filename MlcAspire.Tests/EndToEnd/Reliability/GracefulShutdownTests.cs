using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using static MlcAspire.Tests.EndToEnd.Reliability.ReliabilityCalls;

namespace MlcAspire.Tests.EndToEnd.Reliability;

[Trait("Category", "EndToEnd")]
public sealed class GracefulShutdownTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RouterStopped_ShortStreamFinishes_LongStreamEndsWithAnErrorAtTheDeadline_AndTheEnginesAreFreed()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("SIGTERM is POSIX.");
        }

        // The decode engine paces its tokens (40 ms): 20 tokens end well inside the 10 s drain, 600 do not.
        await using var app = await AspireApp.StartAsync([], Token, environment: new Dictionary<string, IReadOnlyDictionary<string, string>>
            {
                ["router"] = new Dictionary<string, string> { ["Router__DrainTimeout"] = "00:00:10" },
                ["engine-1"] = new Dictionary<string, string> { ["MLC_REFERENCE_FAULTS"] = "stall_between_chunks_ms=40" },
            });
        using var router = app.CreateHttpClient("router");

        var (started, bothStarted) = FirstChunkBarrier(2);
        var longStream = StreamAsync(router, StreamBody(new JsonArray(1, 2, 3), maxTokens: 600), Token, started);
        var shortStream = StreamAsync(router, StreamBody(new JsonArray(4, 5, 6), maxTokens: 20), Token, started);
        await bothStarted.WaitAsync(RequestBound, Token);
        using (var kill = Process.Start("kill", ["-TERM", app.GetProcessId("router").ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(Token);
        }

        // Stop accepting: Kestrel closes its listener when the host stops, so a new connection is refused. In the moment
        // between the signal and that, a completion either gets 503 shutting_down (docs/reliability.md) or its connection,
        // accepted but not yet read, is closed without an answer; none is served.
        var refusedDuringDrain = await WaitForNewConnectionsRefusedAsync(app.GetEndpoint("router"));
        Assert.False(longStream.IsCompleted, "The long stream ended before the drain was seen refusing new work.");
        TestContext.Current.TestOutputHelper?.WriteLine($"during the drain: {refusedDuringDrain}");

        var (longOutcome, shortOutcome) = (await longStream, await shortStream);

        Assert.True(shortOutcome.Done, shortOutcome.ToString());
        Assert.Equal("shutting_down", longOutcome.ErrorCode);
        Assert.True(longOutcome.Chunks > 0);
        using (var bound = CancellationTokenSource.CreateLinkedTokenSource(Token))
        {
            bound.CancelAfter(DrainBound);
            await app.WaitForStateAsync("router", AspireApp.IsStopped, bound.Token);
        }

        await WaitForNoReservedStateAsync(app, ["engine-0", "engine-1"], Token);
    }

    [Fact]
    public async Task DeploymentStopped_InFlightStreamEndsWithShuttingDown_LeavingNoProcess()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "SIGTERM is POSIX.");

        // 600 paced tokens (40 ms each) outlast the router's 2 s drain, so the stream is still running when it ends.
        await using var app = await AspireApp.StartAsync([], Token, environment: new Dictionary<string, IReadOnlyDictionary<string, string>>
            {
                ["router"] = new Dictionary<string, string> { ["Router__DrainTimeout"] = "00:00:02" },
                ["engine-1"] = new Dictionary<string, string> { ["MLC_REFERENCE_FAULTS"] = "stall_between_chunks_ms=40" },
            });
        int[] processIds = [.. ((string[])["router", "engine-0", "engine-1"]).Select(app.GetProcessId)];
        using var router = app.CreateHttpClient("router");
        var streaming = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stream = StreamAsync(router, StreamBody(new JsonArray(1, 2, 3), maxTokens: 600), Token, () =>
        {
            streaming.SetResult();
            return Task.CompletedTask;
        });
        await streaming.Task.WaitAsync(RequestBound, Token);

        // What Ctrl+C does; a SIGKILLed router would cut the connection instead (<connection cut>).
        await app.StopAsync(Token).WaitAsync(DrainBound, Token);
        var outcome = await stream;

        Assert.True(outcome.Done || outcome.ErrorCode == "shutting_down", outcome.ToString());
        Assert.True(outcome.Chunks > 0);
        Assert.All(processIds, pid => Assert.False(IsAlive(pid), $"process {pid} outlived the application"));
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// Sends new completions, each on a new connection, until one is refused at the TCP level (bounded); any sent before
    /// must get 503 <c>shutting_down</c> or a connection closed without an answer. Returns what was seen.
    /// </summary>
    private static async Task<string> WaitForNewConnectionsRefusedAsync(Uri router)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(Token);
        bound.CancelAfter(RequestBound);
        var refusals503 = 0;
        var closedUnanswered = 0;
        var servedBeforeTheSignalArrived = 0;
        try
        {
            while (true)
            {
                using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = router };
                try
                {
                    var outcome = await StreamAsync(client, StreamBody(new JsonArray(7, 8, 9), maxTokens: 2), bound.Token);
                    // `kill` returns once the signal is sent, not once the router has handled it: a completion that races
                    // the handler is served. Once the router has refused one, it must refuse every one after it.
                    if (outcome.Status == 200 && outcome.Done && refusals503 == 0 && closedUnanswered == 0)
                    {
                        servedBeforeTheSignalArrived++;
                        continue;
                    }

                    Assert.True(outcome.Status == 503 && outcome.ErrorCode == "shutting_down" && outcome.RetryAfter is not null,
                        $"A completion sent during the drain was not refused: {outcome}");
                    refusals503++;
                }
                catch (HttpRequestException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
                {
                    return $"new connections refused ({servedBeforeTheSignalArrived} completion(s) served before the router handled the signal, {refusals503} answered 503 shutting_down and {closedUnanswered} closed unanswered before the listener closed)";
                }
                catch (HttpRequestException ex) when (ex.HttpRequestError == HttpRequestError.ResponseEnded
                    || ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset }
                    // A reset while the request is read comes wrapped in the transport's IOException.
                    || ex.InnerException is IOException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionReset } })
                {
                    closedUnanswered++;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(20), bound.Token);
            }
        }
        catch (OperationCanceledException) when (bound.IsCancellationRequested && !Token.IsCancellationRequested)
        {
            Assert.Fail($"The router still accepted connections {RequestBound} after SIGTERM ({refusals503} answered 503 shutting_down, {closedUnanswered} closed unanswered).");
            throw;
        }
    }
}
