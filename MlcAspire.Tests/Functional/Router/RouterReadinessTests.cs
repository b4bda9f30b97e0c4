using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace MlcAspire.Tests.Functional.Router;

/// <summary>
/// The router's readiness on <c>/health</c> follows whether its mode can be served, driven by the active probe on a fake
/// clock; <c>/alive</c> stays "the process is up" throughout.
/// </summary>
[Trait("Category", "Functional")]
public sealed class RouterReadinessTests : IAsyncLifetime
{
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _clock = new();
    private FakeEngine _prefill = null!;
    private FakeEngine _decode = null!;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _prefill = await FakeEngine.StartAsync(Token);
        _decode = await FakeEngine.StartAsync(Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _prefill.DisposeAsync();
        await _decode.DisposeAsync();
    }

    [Fact]
    public async Task LastDecodeEngineLeavesRotation_HealthTurnsUnhealthy_AliveStaysHealthy_AndBothRecoverWhenItReturns()
    {
        var settings = RouterFactory.Settings("disagg", [("Prefill", _prefill), ("Decode", _decode)]);
        settings["Router:FailureThreshold"] = "1";
        settings["Router:ProbeInterval"] = ProbeInterval.ToString();
        settings["Router:BreakDuration"] = "00:00:05";
        await using var router = new RouterFactory(settings, services => services.AddSingleton<TimeProvider>(_clock));
        using var client = router.CreateClient();
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, "/health"));

        _decode.ReadinessStatus = StatusCodes.Status503ServiceUnavailable;
        _clock.Advance(ProbeInterval);
        await WaitForHealthAsync(client, HttpStatusCode.ServiceUnavailable);

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, "/alive"));

        // The break (5 s) is over at the next tick, whose readiness answer closes the circuit again.
        _decode.ReadinessStatus = StatusCodes.Status200OK;
        _clock.Advance(ProbeInterval);
        await WaitForHealthAsync(client, HttpStatusCode.OK);
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path, Token);
        return response.StatusCode;
    }

    /// <summary>The probe runs on its own task after the clock moved: read <c>/health</c> until it reports the expected status.</summary>
    private static async Task WaitForHealthAsync(HttpClient client, HttpStatusCode expected)
    {
        while (await StatusAsync(client, "/health") != expected)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), Token);
        }
    }
}
