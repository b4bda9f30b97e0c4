using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using MlcAspire.Contracts;
using MlcAspire.Router;
using MlcAspire.Router.Health;

namespace MlcAspire.Tests.Unit.Router;

[Trait("Category", "Unit")]
public sealed class RouterReadinessCheckTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task Disagg_OnlyOneEngineLeftToPrefillAndDecode_IsUnhealthy_AndHealthyOnceTheOtherIsBackAfterItsBreak()
    {
        var scheduler = TestSchedulers.Create(_time, RouterMode.Disagg, EngineRole.Both, EngineRole.Decode);
        var check = new RouterReadinessCheck(scheduler);
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(check)).Status);

        scheduler.Engines[1].Health.Trip("down");
        var unready = await CheckAsync(check);

        Assert.Equal(HealthStatus.Unhealthy, unready.Status);
        Assert.Contains("two distinct engines", unready.Description);
        _time.Advance(new RouterReliabilityOptions().BreakDuration);
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(check)).Status);
    }

    [Fact]
    public async Task RoundRobin_OneEngineInRotation_IsHealthy()
    {
        var scheduler = TestSchedulers.Create(_time, RouterMode.RoundRobin, EngineRole.Both, EngineRole.Both);
        scheduler.Engines[0].Health.Trip("down");

        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(new RouterReadinessCheck(scheduler))).Status);
    }

    private static Task<HealthCheckResult> CheckAsync(RouterReadinessCheck check) =>
        check.CheckHealthAsync(
            new HealthCheckContext { Registration = new HealthCheckRegistration(RouterReadinessCheck.Name, check, HealthStatus.Unhealthy, null) },
            TestContext.Current.CancellationToken);
}
