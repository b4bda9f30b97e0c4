using System.Diagnostics;

namespace MlcAspire.Router.Telemetry;

/// <summary>The router's one ActivitySource and its tag names; ServiceDefaults registers every <c>MlcAspire.*</c> source and meter.</summary>
/// <remarks>
/// Tags follow OpenTelemetry's GenAI semantic conventions where one exists (<c>gen_ai.*</c>); the rest are <c>mlc.*</c>.
/// The engine-call span is current while its HttpClient call runs, so the W3C <c>traceparent</c> that HttpClient sends
/// makes the engine's server span its child.
/// </remarks>
public static class RouterTelemetry
{
    public const string Name = "MlcAspire.Router";

    public const string EngineTag = "mlc.engine";
    public const string RoleTag = "mlc.engine.role";
    public const string OperationTag = "mlc.operation";
    public const string OutcomeTag = "mlc.outcome";
    public const string RequestIdTag = "mlc.request_id";
    public const string ModeTag = "mlc.router.mode";
    public const string WindowBeginTag = "mlc.kv.window.begin";
    public const string WindowEndTag = "mlc.kv.window.end";
    public const string PrefixMatchedTag = "mlc.kv.prefix_matched_length";
    public const string RecvRankTag = "mlc.kv.recv_rank";
    public const string OverheadTag = "mlc.router.overhead_ms";
    public const string OperationNameTag = "gen_ai.operation.name";
    public const string RequestModelTag = "gen_ai.request.model";
    public const string InputTokensTag = "gen_ai.usage.input_tokens";
    public const string OutputTokensTag = "gen_ai.usage.output_tokens";
    public const string TokenTypeTag = "gen_ai.token.type";
    public const string ErrorTypeTag = "error.type";

    /// <summary>The GenAI operation name of an OpenAI completions call.</summary>
    public const string TextCompletion = "text_completion";

    /// <summary>The GenAI operation name of a chat completion.</summary>
    public const string Chat = "chat";

    public static readonly ActivitySource ActivitySource = new(Name);

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
