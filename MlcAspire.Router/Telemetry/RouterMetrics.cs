using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace MlcAspire.Router.Telemetry;

/// <summary>The router's one Meter and its instruments: GenAI semantic-convention metrics and <c>mlcaspire.router.*</c>.</summary>
public static class RouterMetrics
{
    public static readonly Meter Meter = new(RouterTelemetry.Name);

    // Bucket boundaries advised by the GenAI semantic conventions for each instrument.
    private static readonly double[] DurationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
    private static readonly double[] FirstTokenBuckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];
    private static readonly double[] OutputTokenBuckets = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5];
    private static readonly long[] TokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
    private static readonly double[] OverheadBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

    /// <summary><c>gen_ai.server.request.duration</c>: from the request reaching the router to its last byte.</summary>
    public static readonly Histogram<double> RequestDuration = Meter.CreateHistogram(
        "gen_ai.server.request.duration", "s", "Time from the request reaching the router to its answer's end.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    /// <summary><c>gen_ai.server.time_to_first_token</c>: until the first chunk the generating engine sent.</summary>
    public static readonly Histogram<double> TimeToFirstToken = Meter.CreateHistogram(
        "gen_ai.server.time_to_first_token", "s", "Time from the request reaching the router to the first generated chunk.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = FirstTokenBuckets });

    /// <summary><c>gen_ai.server.time_per_output_token</c>: decode time over output tokens after the first (when usage is known).</summary>
    public static readonly Histogram<double> TimePerOutputToken = Meter.CreateHistogram(
        "gen_ai.server.time_per_output_token", "s", "Time per output token after the first.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = OutputTokenBuckets });

    /// <summary><c>gen_ai.client.token.usage</c>: the engines' reported usage, by <c>gen_ai.token.type</c> (input, output).</summary>
    public static readonly Histogram<long> TokenUsage = Meter.CreateHistogram(
        "gen_ai.client.token.usage", "{token}", "Tokens per request as the engines report them.",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenBuckets });

    /// <summary>Client completions by mode and outcome.</summary>
    public static readonly Counter<long> Requests =
        Meter.CreateCounter<long>("mlcaspire.router.requests", "{request}", "Client completions by mode and outcome.");

    /// <summary>Requests in flight per engine (rises at dispatch, falls on every way out).</summary>
    public static readonly UpDownCounter<long> ActiveRequests =
        Meter.CreateUpDownCounter<long>("mlcaspire.router.engine.active_requests", "{request}", "Requests in flight per engine and role.");

    /// <summary>Engine calls by engine, role, operation and outcome.</summary>
    public static readonly Counter<long> EngineCalls =
        Meter.CreateCounter<long>("mlcaspire.router.engine.calls", "{call}", "Engine calls by engine, role, operation and outcome.");

    /// <summary>Each handoff phase (prep_recv, remote_send, start_generate, completions) from send to outcome.</summary>
    public static readonly Histogram<double> EngineCallDuration = Meter.CreateHistogram(
        "mlcaspire.router.engine.call.duration", "s", "Engine call duration by phase; a generating call lasts until its stream ends.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    /// <summary>The router's own added time: time in the router minus the time its engine calls took.</summary>
    public static readonly Histogram<double> Overhead = Meter.CreateHistogram(
        "mlcaspire.router.overhead", "s", "Time in the router minus time waiting on engines.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = OverheadBuckets });

    /// <summary>Counts a completion refused before any engine call (<c>Rejected</c>: invalid; <c>Shed</c>: admission).</summary>
    public static void RecordRefused(RouterMode mode, string outcome) =>
        Requests.Add(1, new TagList { { RouterTelemetry.ModeTag, mode.ToString() }, { RouterTelemetry.OutcomeTag, outcome } });

    /// <summary>Attempts restarted because the engine preempted them.</summary>
    public static readonly Counter<long> PreemptRetries =
        Meter.CreateCounter<long>("mlcaspire.router.preempt_retries", "{retry}", "Attempts restarted after finish_reason preempt.");
}
