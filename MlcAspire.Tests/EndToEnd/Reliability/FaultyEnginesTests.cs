using System.Text.Json.Nodes;
using MlcAspire.Tests.Functional.Router;
using static MlcAspire.Tests.EndToEnd.Reliability.ReliabilityCalls;

namespace MlcAspire.Tests.EndToEnd.Reliability;

/// <summary>
/// Round-robin over six real engines, five of them broken by the reference engine's fault switches: a stall between
/// tokens, invalid JSON, a stream that ends early, a connection cut mid-stream, and a connection closed before any
/// answer. Short router timeouts so that each fault surfaces within seconds.
/// </summary>
public sealed class FaultyEnginesFixture : IAsyncLifetime
{
    /// <summary>Engine name → its fault (<c>MLC_REFERENCE_FAULTS</c>); engine-0 is healthy.</summary>
    public static readonly IReadOnlyDictionary<string, string> Faults = new Dictionary<string, string>
    {
        ["engine-1"] = "stall_between_chunks_ms=600000",
        ["engine-2"] = "invalid_json_after_chunks=1",
        ["engine-3"] = "end_stream_after_chunks=1",
        ["engine-4"] = "abort_stream_after_chunks=1",
        ["engine-5"] = "abort_stream_after_chunks=0",
    };

    internal AspireApp App { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var environment = Faults.ToDictionary(
            fault => fault.Key, IReadOnlyDictionary<string, string> (fault) => new Dictionary<string, string> { ["MLC_REFERENCE_FAULTS"] = fault.Value });
        environment["router"] = new Dictionary<string, string>
        {
            ["Router__IdleTimeout"] = "00:00:05",
            ["Router__FailureThreshold"] = "1",
            // Long enough that no circuit half-opens during the test.
            ["Router__BreakDuration"] = "00:10:00",
            // Only the faults open circuits here, not a readiness answer slowed by a starved machine.
            ["Router__ProbeTimeout"] = "00:00:30",
        };
        App = await AspireApp.StartAsync(["--router-mode", "round-robin", "--endpoint-ports", "1", "2", "3", "4", "5", "6"], TestContext.Current.CancellationToken, environment: environment);
    }

    public async ValueTask DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }
    }
}

[Trait("Category", "EndToEnd")]
public sealed class FaultyEnginesTests(FaultyEnginesFixture fixture) : IClassFixture<FaultyEnginesFixture>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FaultyEngines_FailTheirRequestsWithAClearError_LeaveRotation_AndTheRestComplete()
    {
        using var router = fixture.App.CreateHttpClient("router");
        var outcomes = new List<CompletionOutcome>();
        var cleanRound = false;

        // Sequential rounds: each round reaches every engine still in rotation; a fault opens its engine's circuit
        // (threshold 1) until only the healthy engine is left and a whole round completes.
        for (var round = 0; round < 6 && !cleanRound; round++)
        {
            var roundOutcomes = new List<CompletionOutcome>();
            for (var i = 0; i < 6; i++)
            {
                roundOutcomes.Add(await StreamAsync(router, StreamBody(new JsonArray(1, 2, 3, 4 + round, 5 + i), maxTokens: 8), Token));
            }

            outcomes.AddRange(roundOutcomes);
            cleanRound = roundOutcomes.All(outcome => outcome.Done);
        }

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{outcomes.Count} requests, {outcomes.Count(o => o.Done)} completed, failed: " +
            string.Join(", ", outcomes.Where(o => !o.Done).GroupBy(o => o.ErrorCode).Select(g => $"{g.Key} x{g.Count()}")));
        Assert.True(cleanRound, "Every round had a failure: " + string.Join(", ", outcomes.Select(o => o.ErrorCode)));
        Assert.All(outcomes, outcome => Assert.True(outcome.Done || outcome.ErrorCode is "engine_timeout" or "engine_invalid_response" or "engine_unreachable",
            $"An unclear end: {outcome}"));
        // A fault before any byte reached the client (a reset can also swallow the first chunk) is an HTTP error, not a
        // stream; it is not retried, since each faulty engine had the request.
        Assert.All(outcomes, outcome => Assert.True(outcome.Status == 200 || (outcome.Status >= 502 && outcome.Chunks == 0), outcome.ToString()));
        Assert.Contains(outcomes, outcome => outcome.ErrorCode == "engine_timeout");
        Assert.Contains(outcomes, outcome => outcome.ErrorCode == "engine_invalid_response");
        Assert.Contains(outcomes, outcome => outcome.ErrorCode == "engine_unreachable");

        var engines = await EngineStatusAsync(router, Token);
        var table = string.Join("\n", engines.Values.Select(engine => engine.ToJsonString()));
        Assert.True(engines["engine-0"]["circuit"]!.GetValue<string>() == "Closed", table);
        Assert.All(FaultyEnginesFixture.Faults.Keys, name => Assert.True(engines[name]["circuit"]!.GetValue<string>() != "Closed", table));

        // The engine that closes connections before answering counted its failures.
        Assert.True(engines["engine-5"]["failed_requests"]!.GetValue<long>() > 0);

        await WaitForRouterIdleAsync(router, Token);
        await WaitForNoReservedStateAsync(fixture.App, ["engine-0", .. FaultyEnginesFixture.Faults.Keys], Token);
        using var health = await router.GetAsync("/health", Token);
        Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);
    }
}
