using System.Diagnostics;

namespace MlcAspire.Router.Telemetry;

/// <summary>
/// The span and metrics of one engine call (prep_recv, remote_send, start_generate, completions): started before the
/// HTTP call so HttpClient propagates its trace context, completed once with the outcome.
/// </summary>
public sealed class EngineCallTelemetry : IDisposable
{
    private readonly TimeProvider _timeProvider;
    private readonly long _startedAt;
    private readonly KeyValuePair<string, object?>[] _tags;
    private bool _completed;

    private EngineCallTelemetry(TimeProvider timeProvider, Activity? activity, string operation, EngineState engine, string role)
    {
        _timeProvider = timeProvider;
        _startedAt = timeProvider.GetTimestamp();
        Activity = activity;
        _tags =
        [
            new(RouterTelemetry.EngineTag, engine.Name),
            new(RouterTelemetry.RoleTag, role),
            new(RouterTelemetry.OperationTag, operation),
        ];
    }

    public Activity? Activity { get; }

    /// <summary>Starts the span, tagged with what the request body says: prompt tokens, KV window and receiving PE.</summary>
    public static EngineCallTelemetry Start(
        TimeProvider timeProvider, string operation, EngineState engine, string role, string requestId, EngineRequestBody body)
    {
        var activity = RouterTelemetry.ActivitySource.StartActivity(operation, ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(RouterTelemetry.EngineTag, engine.Name);
            activity.SetTag(RouterTelemetry.RoleTag, role);
            activity.SetTag(RouterTelemetry.RequestIdTag, requestId);
            activity.SetTag(RouterTelemetry.OperationNameTag, operation == RoundRobinStrategy.ChatCompletionsPath ? RouterTelemetry.Chat : RouterTelemetry.TextCompletion);
            if (body.PromptTokens is { } promptTokens)
            {
                activity.SetTag(RouterTelemetry.InputTokensTag, promptTokens);
            }

            TagInt(activity, RouterTelemetry.WindowBeginTag, body["begin"]);
            TagInt(activity, RouterTelemetry.WindowEndTag, body["end"]);
            TagInt(activity, RouterTelemetry.RecvRankTag, body["recv_rank"]);
        }

        return new EngineCallTelemetry(timeProvider, activity, operation, engine, role);
    }

    /// <summary>Tags what a MicroServing answer tells: prep_recv's matched prefix.</summary>
    public void TagAnswer(JsonNode? answer) => TagInt(Activity, RouterTelemetry.PrefixMatchedTag, answer?["prefix_matched_length"]);

    /// <summary>Records the outcome on the span and the call metrics, and the call's time as engine time of the request.</summary>
    /// <returns>False when the call was already completed: only the first outcome counts.</returns>
    public bool Complete(string outcome, string? error)
    {
        if (_completed)
        {
            return false;
        }

        _completed = true;
        var elapsed = _timeProvider.GetElapsedTime(_startedAt);
        Activity.SetOutcome(outcome, error);
        RequestTelemetry.Current?.AddEngineTime(elapsed, Activity);
        var tags = new TagList(_tags) { { RouterTelemetry.OutcomeTag, outcome } };
        RouterMetrics.EngineCalls.Add(1, tags);
        RouterMetrics.EngineCallDuration.Record(elapsed.TotalSeconds, tags);
        return true;
    }

    public void Dispose() => Activity?.Dispose();

    private static void TagInt(Activity? activity, string tag, JsonNode? node)
    {
        if (activity is not null && node is JsonValue value && value.TryGetValue<int>(out var number))
        {
            activity.SetTag(tag, number);
        }
    }
}
