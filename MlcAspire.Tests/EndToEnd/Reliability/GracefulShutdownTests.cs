using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using MlcAspire.AppHost.Running;
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
        await using var app = TestingApp.Create(
            new Dictionary<string, IReadOnlyDictionary<string, string>>
            {
                ["router"] = new Dictionary<string, string> { ["Router__DrainTimeout"] = "00:00:10" },
                ["engine-1"] = new Dictionary<string, string> { ["MLC_REFERENCE_FAULTS"] = "stall_between_chunks_ms=40" },
            });
        await app.StartAsync(Token).WaitAsync(TestingApp.DefaultTimeout, Token);
        using var router = app.CreateHttpClient("router");

        var started = 0;
        var bothStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task Started()
        {
            if (Interlocked.Increment(ref started) == 2)
            {
                bothStarted.SetResult();
            }

            return Task.CompletedTask;
        }

        var longStream = StreamAsync(router, StreamBody(new JsonArray(1, 2, 3), maxTokens: 600), Token, Started);
        var shortStream = StreamAsync(router, StreamBody(new JsonArray(4, 5, 6), maxTokens: 20), Token, Started);
        await bothStarted.Task.WaitAsync(RequestBound, Token);
        using (var kill = Process.Start("kill", ["-TERM", app.GetResource("router").ProcessId!.Value.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(Token);
        }

        var (longOutcome, shortOutcome) = (await longStream, await shortStream);

        Assert.True(shortOutcome.Done, shortOutcome.ToString());
        Assert.Equal("shutting_down", longOutcome.ErrorCode);
        Assert.True(longOutcome.Chunks > 0);
        using (var bound = CancellationTokenSource.CreateLinkedTokenSource(Token))
        {
            bound.CancelAfter(DrainBound);
            await app.WaitForResourceStateAsync("router", state => state is ResourceState.Exited or ResourceState.Failed, bound.Token);
        }

        await WaitForNoReservedStateAsync(app, ["engine-0", "engine-1"], Token);
    }

    [Fact]
    public async Task DeploymentStopped_InFlightStreamEndsWithShuttingDown_ThenTheRouterThenTheEnginesStop_LeavingNoProcess()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "SIGTERM is POSIX.");

        // 600 paced tokens (40 ms each) outlast the router's 2 s drain, so the stream is still running when it ends.
        await using var app = TestingApp.Create(
            new Dictionary<string, IReadOnlyDictionary<string, string>>
            {
                ["router"] = new Dictionary<string, string> { ["Router__DrainTimeout"] = "00:00:02" },
                ["engine-1"] = new Dictionary<string, string> { ["MLC_REFERENCE_FAULTS"] = "stall_between_chunks_ms=40" },
            });
        await app.StartAsync(Token).WaitAsync(TestingApp.DefaultTimeout, Token);
        var processIds = app.Resources.Select(r => r.ProcessId!.Value).ToList();
        using var router = app.CreateHttpClient("router");
        var streaming = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stream = StreamAsync(router, StreamBody(new JsonArray(1, 2, 3), maxTokens: 600), Token, () =>
        {
            streaming.SetResult();
            return Task.CompletedTask;
        });
        await streaming.Task.WaitAsync(RequestBound, Token);

        // What Ctrl+C does; a SIGKILLed router would cut the connection instead (<connection cut>).
        var startup = app.History.Count;
        await app.StopAsync(Token).WaitAsync(DrainBound, Token);
        var outcome = await stream;

        Assert.True(outcome.Done || outcome.ErrorCode == "shutting_down", outcome.ToString());
        Assert.True(outcome.Chunks > 0);
        Assert.All(app.Resources, r => Assert.Equal(ResourceState.Stopped, r.State));
        Assert.All(processIds, pid => Assert.False(ProcessTree.IsAlive(pid), $"process {pid} outlived the deployment"));

        // Stop order: the router has stopped before any engine is asked to.
        var history = app.History.Skip(startup).Where(c => c.State is ResourceState.Stopping or ResourceState.Stopped).ToList();
        var routerStopped = history.IndexOf(new ResourceStateChange("router", ResourceState.Stopped));
        Assert.Equal([new ResourceStateChange("router", ResourceState.Stopping), new ResourceStateChange("router", ResourceState.Stopped)], history[..2]);
        Assert.All(["engine-0", "engine-1"], engine => Assert.True(
            history.IndexOf(new ResourceStateChange(engine, ResourceState.Stopping)) > routerStopped,
            $"{engine} was stopped before the router had stopped: {string.Join(", ", history)}"));
    }
}
