using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace MlcAspire.ReferenceEngine.Telemetry;

/// <summary>
/// The engine's one ActivitySource and Meter (ServiceDefaults registers every <c>MlcAspire.*</c> source and meter).
/// The MLC-style Prometheus text at <c>/metrics</c> stays as MLC has it; these go out over OTLP when configured.
/// </summary>
internal static class EngineTelemetry
{
    public const string Name = "MlcAspire.ReferenceEngine";

    public const string RequestIdTag = "mlc.request_id";
    public const string KindTag = "mlc.request.kind";
    public const string OutcomeTag = "mlc.outcome";
    public const string PrefixMatchedTag = "mlc.kv.prefix_matched_length";
    public const string WindowEndTag = "mlc.kv.window.end";
    public const string RowsTag = "mlc.kv.rows";
    public const string RecvRankTag = "mlc.kv.recv_rank";
    public const string InputTokensTag = "gen_ai.usage.input_tokens";
    public const string OutputTokensTag = "gen_ai.usage.output_tokens";
    public const string OperationNameTag = "gen_ai.operation.name";

    public static readonly ActivitySource ActivitySource = new(Name);

    public static readonly Meter Meter = new(Name);

    /// <summary><c>gen_ai.server.request.duration</c>: from the request reaching the engine loop to its end.</summary>
    public static readonly Histogram<double> RequestDuration = Meter.CreateHistogram(
        "gen_ai.server.request.duration", "s", "Time from the request reaching the engine to its last token.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92] });

    /// <summary><c>gen_ai.server.time_to_first_token</c>: queueing plus prefill.</summary>
    public static readonly Histogram<double> TimeToFirstToken = Meter.CreateHistogram(
        "gen_ai.server.time_to_first_token", "s", "Time from the request reaching the engine to its first token.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0] });

    /// <summary><c>gen_ai.server.time_per_output_token</c>: decode time over the tokens after the first.</summary>
    public static readonly Histogram<double> TimePerOutputToken = Meter.CreateHistogram(
        "gen_ai.server.time_per_output_token", "s", "Time per output token after the first.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5] });

    /// <summary>Emits a finished span of one phase, with explicit times: the engine loop learns a phase's end after the fact.</summary>
    public static void Phase(string name, ActivityContext parent, DateTimeOffset start, DateTimeOffset end, string requestId, TagList tags)
    {
        using var activity = ActivitySource.StartActivity(name, ActivityKind.Internal, parent, tags, startTime: start);
        if (activity is null)
        {
            return;
        }

        activity.SetTag(RequestIdTag, requestId);
        activity.SetEndTime(end.UtcDateTime);
    }
}
