using System.Diagnostics.Metrics;

namespace MlcAspire.Router.Telemetry;

/// <summary>The router's one Meter and its instruments.</summary>
public static class RouterMetrics
{
    public static readonly Meter Meter = new(RouterTelemetry.Name);

    /// <summary>Requests in flight per engine (rises at dispatch, falls on every way out).</summary>
    public static readonly UpDownCounter<long> ActiveRequests =
        Meter.CreateUpDownCounter<long>("mlc.router.engine.active_requests", "{request}", "Requests in flight per engine.");

    /// <summary>Engine calls by engine, operation and outcome.</summary>
    public static readonly Counter<long> EngineCalls =
        Meter.CreateCounter<long>("mlc.router.engine.calls", "{call}", "Engine calls by engine, operation and outcome.");

    /// <summary>Client completions by mode and outcome.</summary>
    public static readonly Counter<long> Completions =
        Meter.CreateCounter<long>("mlc.router.completions", "{request}", "Client completions by outcome.");

    /// <summary>Attempts restarted because the engine preempted them.</summary>
    public static readonly Counter<long> PreemptRetries =
        Meter.CreateCounter<long>("mlc.router.preempt_retries", "{retry}", "Attempts restarted after finish_reason preempt.");
}
