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
}
