using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MlcAspire.Router.Health;

/// <summary>
/// The availability half of the health checks: the router is ready while its mode can be served, that is while
/// round-robin has an engine in rotation, or disaggregation a decode engine and a distinct prefill engine
/// (<see cref="EngineScheduler.Unavailability"/>, the rule admission answers 503 by). Tagged
/// <see cref="Microsoft.Extensions.Hosting.Extensions.ReadinessTag"/>: <c>/health</c> reports it, <c>/alive</c> does not,
/// so an orchestrator stops sending traffic to a router that would refuse it but does not restart it.
/// </summary>
internal sealed class RouterReadinessCheck(EngineScheduler scheduler) : IHealthCheck
{
    public const string Name = "engines";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(scheduler.Unavailability is { } reason
            ? new HealthCheckResult(context.Registration.FailureStatus, reason)
            : HealthCheckResult.Healthy());
}
