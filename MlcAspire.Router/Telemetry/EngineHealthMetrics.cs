using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;

namespace MlcAspire.Router.Telemetry;

/// <summary>
/// <c>mlcaspire.router.engine.health</c>: each engine's circuit (1 for the state it is in, 0 for the others), read
/// from the scheduler's engines at every collection. Its meter comes from <see cref="IMeterFactory"/>, so the gauge
/// belongs to this host's engines; it is a hosted service only so that the gauge exists from start-up.
/// </summary>
internal sealed class EngineHealthMetrics : IHostedService
{
    public EngineHealthMetrics(IMeterFactory meterFactory, EngineScheduler scheduler)
    {
        var meter = meterFactory.Create(RouterTelemetry.Name);
        meter.CreateObservableGauge("mlcaspire.router.engine.health", () => Observe(scheduler), "{state}",
            "Each engine's circuit state: 1 for its current state (closed = in rotation), 0 for the others.");
        PrefixIndexMetrics.Register(meter, scheduler);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static IEnumerable<Measurement<int>> Observe(EngineScheduler scheduler) =>
        from engine in scheduler.Engines
        let current = engine.Health.State
        from state in Enum.GetValues<CircuitState>()
        select new Measurement<int>(current == state ? 1 : 0,
            new(RouterTelemetry.EngineTag, engine.Name),
            new(RouterTelemetry.RoleTag, engine.Role.ToString().ToLowerInvariant()),
            new("mlc.engine.state", state.ToString().ToLowerInvariant()));
}
