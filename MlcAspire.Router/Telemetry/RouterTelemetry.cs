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
    public const string RouteEvent = "mlc.route";
    public const string RouteSelectionTag = "mlc.route.selection";
    public const string RouteWinnerTag = "mlc.route.winner";
    public const string RouteReasonTag = "mlc.route.reason";
    public const string RouteMatchedTag = "mlc.route.matched_tokens";
    public const string RoutePromptTag = "mlc.route.prompt_tokens";
    public const string RouteCandidatesTag = "mlc.route.candidates";
    public const string RouteSplitTag = "mlc.route.split";

    /// <summary>The GenAI operation name of an OpenAI completions call.</summary>
    public const string TextCompletion = "text_completion";

    /// <summary>The GenAI operation name of a chat completion.</summary>
    public const string Chat = "chat";

    public static readonly ActivitySource ActivitySource = new(Name);

    /// <summary>
    /// Puts one routing decision on the request's span: an event per decision (a disaggregated request has two) with the
    /// candidates and their scores, and the winner as a tag <c>mlc.route.&lt;selection&gt;.engine</c> for filtering.
    /// </summary>
    public static void RecordRoute(Activity? activity, RouteDecision decision)
    {
        if (activity is null || !activity.IsAllDataRequested)
        {
            return;
        }

        var selection = decision.Selection.ToString().ToLowerInvariant();
        activity.SetTag($"mlc.route.{selection}.engine", decision.Winner.Name);
        activity.SetTag($"mlc.route.{selection}.reason", decision.Reason.ToString());
        activity.AddEvent(new ActivityEvent(RouteEvent, tags: new ActivityTagsCollection
        {
            { RouteSelectionTag, selection },
            { RouteWinnerTag, decision.Winner.Name },
            { RouteReasonTag, decision.Reason.ToString() },
            { RouteMatchedTag, decision.WinnerCandidate.MatchedTokens },
            { RoutePromptTag, decision.PromptTokens },
            { RouteCandidatesTag, decision.DescribeCandidates() },
        }));
    }

    /// <summary>Tags the adaptive split of a disaggregated request (<c>local(short)</c>, <c>remote(end=…,factor=…)</c>).</summary>
    public static void RecordSplit(Activity? activity, string split) => activity?.SetTag(RouteSplitTag, split);

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
