using System.Diagnostics.Metrics;

namespace MlcAspire.Router.Telemetry;

/// <summary>
/// The prefix index per engine on <c>/metrics</c>: <c>mlcaspire.router.prefix_index.size</c> (bytes),
/// <c>mlcaspire.router.prefix_index.tokens</c> and <c>mlcaspire.router.prefix_index.hit_ratio</c>, read at every
/// collection; registered with the engine gauges (<see cref="EngineHealthMetrics"/>), so they exist from start-up.
/// </summary>
internal static class PrefixIndexMetrics
{
    public static void Register(Meter meter, EngineScheduler scheduler)
    {
        meter.CreateObservableGauge("mlcaspire.router.prefix_index.size", () => Observe(scheduler, index => index.ApproximateBytes), "By",
            "Memory of the router's index of what each engine's prefix cache probably holds.");
        meter.CreateObservableGauge("mlcaspire.router.prefix_index.tokens", () => Observe(scheduler, index => index.Tokens), "{token}",
            "Prompt tokens the router believes each engine's prefix cache holds.");
        meter.CreateObservableGauge("mlcaspire.router.prefix_index.hit_ratio", () => Observe(scheduler, index => index.HitRate), "1",
            "Share of the prompt tokens routed to each engine that it held, by the index (corrected by prep_recv).");
    }

    private static IEnumerable<Measurement<T>> Observe<T>(EngineScheduler scheduler, Func<PrefixIndex, T> read) where T : struct =>
        scheduler.Engines.Select((engine, i) => new Measurement<T>(read(scheduler.Prefixes[i]), new KeyValuePair<string, object?>(RouterTelemetry.EngineTag, engine.Name)));
}
