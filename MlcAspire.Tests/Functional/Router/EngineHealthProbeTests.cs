using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace MlcAspire.Tests.Functional.Router;

/// <summary>The active probe's stuck check, driven by a fake clock: busy-but-progressing engines stay, silent streams go.</summary>
[Trait("Category", "Functional")]
public sealed class EngineHealthProbeTests : IAsyncLifetime
{
    private static readonly TimeSpan StuckTimeout = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider _clock = new();
    private FakeEngine _engine = null!;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _engine = await FakeEngine.StartAsync(Token);

    public async ValueTask DisposeAsync() => await _engine.DisposeAsync();

    [Fact]
    public async Task PrefillLongerThanTheStuckTimeout_EngineStaysInRotation_AndTheRequestCompletes()
    {
        var arrived = new TaskCompletionSource();
        var answer = new TaskCompletionSource();
        _engine.Handler = async (context, _, body) =>
        {
            // A long prompt's prefill: no headers, no token, for longer than the stuck timeout but within the first-token one.
            arrived.TrySetResult();
            await answer.Task.WaitAsync(context.RequestAborted);
            await FakeEngine.StreamTextAsync(context, body, "late");
        };
        await using var router = Router(probeInterval: TimeSpan.FromSeconds(61));
        using var client = router.CreateClient();

        var request = client.PostCompletionAsync("""{"prompt":"x"}""", Token);
        await arrived.Task.WaitAsync(Token);
        var probes = _engine.ReadinessProbes;
        _clock.Advance(TimeSpan.FromSeconds(61));
        var circuit = await WaitForProbeOrTripAsync(client, probes);

        Assert.Equal("Closed", circuit);
        answer.SetResult();
        using var response = await request;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("late", JsonNode.Parse(await response.Content.ReadAsStringAsync(Token))!["choices"]![0]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task StreamSilentLongerThanTheStuckTimeout_EngineLeavesRotation()
    {
        _engine.Handler = async (context, _, body) =>
        {
            await FakeEngine.WriteSseAsync(context, [FakeEngine.Chunk(body["user"]!.GetValue<string>(), "first")], done: false);
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        };
        await using var router = Router(probeInterval: TimeSpan.FromSeconds(31));
        using var client = router.CreateClient();

        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions"))
        {
            request.Content = new StringContent("""{"prompt":"x","stream":true}""", System.Text.Encoding.UTF8, "application/json");
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Token);
            await using var stream = await response.Content.ReadAsStreamAsync(Token);
            Assert.True(await stream.ReadAsync(new byte[16], Token) > 0);
            var probes = _engine.ReadinessProbes;
            _clock.Advance(TimeSpan.FromSeconds(31));
            var circuit = await WaitForProbeOrTripAsync(client, probes);

            Assert.Equal("Open", circuit);
        }

        // Tripping only takes the engine out of rotation; the client leaving ends the stream.
        await client.WaitForIdleAsync(Token);
    }

    [Fact]
    public async Task ZeroProbeInterval_RouterRefusesToStart_NamingTheKey()
    {
        var settings = RouterFactory.Settings("round-robin", [("Both", _engine)]);
        settings["Router:ProbeInterval"] = "00:00:00";
        await using var router = new RouterFactory(settings);

        var error = Assert.ThrowsAny<Exception>(() => router.CreateClient());

        Assert.Contains("Router:ProbeInterval must be positive", error.ToString());
    }

    /// <summary>
    /// One probe tick at exactly the advanced time (the interval equals the advance), so the check reads the full silence.
    /// Within a tick the stuck check runs before the readiness probe, which it skips when it trips the engine.
    /// </summary>
    private RouterFactory Router(TimeSpan probeInterval)
    {
        var settings = RouterFactory.Settings("round-robin", [("Both", _engine)]);
        settings["Router:ProbeInterval"] = probeInterval.ToString();
        settings["Router:StuckTimeout"] = StuckTimeout.ToString();
        return new RouterFactory(settings, services => services.AddSingleton<TimeProvider>(_clock));
    }

    /// <summary>The engine's circuit once the probe tick after the advance ran: it probed readiness, or it tripped the engine.</summary>
    private async Task<string> WaitForProbeOrTripAsync(HttpClient client, int probesBefore)
    {
        while (true)
        {
            var status = await client.GetFromJsonAsync<JsonObject>("/router/status", Token);
            var circuit = status!["engines"]![0]!["circuit"]!.GetValue<string>();
            if (circuit != "Closed" || _engine.ReadinessProbes > probesBefore)
            {
                return circuit;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(10), Token);
        }
    }
}
