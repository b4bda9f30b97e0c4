using System.Diagnostics;

namespace MlcAspire.Router.Telemetry;

/// <summary>The router's one ActivitySource; ServiceDefaults registers every <c>MlcAspire.*</c> source and meter.</summary>
public static class RouterTelemetry
{
    public const string Name = "MlcAspire.Router";

    public const string EngineTag = "mlc.engine";
    public const string RoleTag = "mlc.engine.role";
    public const string OutcomeTag = "mlc.outcome";
    public const string RequestIdTag = "mlc.request_id";
    public const string ModeTag = "mlc.router.mode";

    public static readonly ActivitySource ActivitySource = new(Name);

    /// <summary>Starts the span of one engine call (prep_recv, remote_send, start_generate, completions).</summary>
    public static Activity? StartEngineCall(string operation, EngineEndpoint engine, string role, string requestId)
    {
        var activity = ActivitySource.StartActivity(operation, ActivityKind.Client);
        activity?.SetTag(EngineTag, engine.Name);
        activity?.SetTag(RoleTag, role);
        activity?.SetTag(RequestIdTag, requestId);
        return activity;
    }

    /// <summary>Tags the outcome and, for failures, the error status.</summary>
    public static void SetOutcome(this Activity? activity, string outcome, string? error = null)
    {
        activity?.SetTag(OutcomeTag, outcome);
        if (error is not null)
        {
            activity?.SetStatus(ActivityStatusCode.Error, error);
        }
    }
}
