namespace MlcAspire.Router.Telemetry;

/// <summary>Every log message of the router; event ids are unique across this table.</summary>
internal static partial class RouterLog
{
    private static readonly Func<ILogger, string, IDisposable?> RequestScope = LoggerMessage.DefineScope<string>("Request {RequestId}");

    /// <summary>A scope that tags every log record of one client request (any logger, same flow) with its id.</summary>
    public static IDisposable? BeginRequestScope(ILogger logger, string requestId) => RequestScope(logger, requestId);

    [LoggerMessage(EventId = 1, EventName = "EngineCallFailed", Level = LogLevel.Warning,
        Message = "{Operation} on {EngineName} for {RequestId} failed: {Error} ({StatusCode}) {ErrorMessage}")]
    public static partial void EngineCallFailed(ILogger logger, string operation, string engineName, string requestId, EngineCallError error, int statusCode, string errorMessage);

    [LoggerMessage(EventId = 2, EventName = "ClientDisconnected", Level = LogLevel.Debug,
        Message = "Client left during {RequestId}")]
    public static partial void ClientDisconnected(ILogger logger, string requestId);

    [LoggerMessage(EventId = 3, EventName = "PreemptRetry", Level = LogLevel.Information,
        Message = "{RequestId} was preempted by {EngineName}; retry {Retry} of {MaxRetries}")]
    public static partial void PreemptRetry(ILogger logger, string requestId, string engineName, int retry, int maxRetries);

    [LoggerMessage(EventId = 4, EventName = "DecodeStateReleased", Level = LogLevel.Debug,
        Message = "Released parked state of {RequestId} on {EngineName}: {Outcome}")]
    public static partial void DecodeStateReleased(ILogger logger, string requestId, string engineName, string outcome);

    [LoggerMessage(EventId = 5, EventName = "CompletionDispatched", Level = LogLevel.Debug,
        Message = "{RequestId} attempt {Attempt} dispatched in {Mode} mode")]
    public static partial void CompletionDispatched(ILogger logger, string requestId, int attempt, RouterMode mode);

    [LoggerMessage(EventId = 6, EventName = "RequestRejected", Level = LogLevel.Debug,
        Message = "Rejected a completion request: {ErrorMessage}")]
    public static partial void RequestRejected(ILogger logger, string errorMessage);

    [LoggerMessage(EventId = 7, EventName = "StreamFailed", Level = LogLevel.Warning,
        Message = "Stream of {RequestId} failed after it started: {Error} {ErrorMessage}")]
    public static partial void StreamFailed(ILogger logger, string requestId, EngineCallError error, string errorMessage);

    [LoggerMessage(EventId = 8, EventName = "DecodeStateReleaseFailed", Level = LogLevel.Warning,
        Message = "Could not release parked state of {RequestId} on {EngineName}: {Error}")]
    public static partial void DecodeStateReleaseFailed(ILogger logger, string requestId, string engineName, EngineCallError error);

    [LoggerMessage(EventId = 9, EventName = "RouteChosen", Level = LogLevel.Debug,
        Message = "Routed {Selection} to {EngineName} ({Reason}): {MatchedTokens} of {PromptTokens} prompt tokens cached there; candidates {Candidates}")]
    public static partial void RouteChosen(ILogger logger, EngineSelection selection, string engineName, RouteReason reason, int matchedTokens, int promptTokens, string candidates);

    [LoggerMessage(EventId = 10, EventName = "SplitChosen", Level = LogLevel.Debug,
        Message = "{RequestId} split: {Split} ({UncachedTokens} uncached of {PromptTokens}, prefill backlog {PrefillBacklogTokens} tokens, decode queue {DecodeQueue})")]
    public static partial void SplitChosen(ILogger logger, string requestId, string split, int uncachedTokens, int promptTokens, long prefillBacklogTokens, int decodeQueue);

    [LoggerMessage(EventId = 30, EventName = "DecodeStateUnknown", Level = LogLevel.Warning,
        Message = "prep_recv of {RequestId} on {EngineName} ended without an answer, and whether it parked could not be settled ({Error}); a parked state stays until the engine restarts")]
    public static partial void DecodeStateUnknown(ILogger logger, string requestId, string engineName, EngineCallError error);

    [LoggerMessage(EventId = 20, EventName = "EngineCircuitOpened", Level = LogLevel.Warning,
        Message = "{EngineName} is out of rotation: {Reason}")]
    public static partial void EngineCircuitOpened(ILogger logger, string engineName, string reason);

    [LoggerMessage(EventId = 21, EventName = "EngineCircuitClosed", Level = LogLevel.Information,
        Message = "{EngineName} is back in rotation")]
    public static partial void EngineCircuitClosed(ILogger logger, string engineName);

    [LoggerMessage(EventId = 22, EventName = "RetriedOnAnotherEngine", Level = LogLevel.Information,
        Message = "{RequestId} failed on {EngineName} before any byte reached the client ({Error}); retrying once")]
    public static partial void RetriedOnAnotherEngine(ILogger logger, string requestId, string engineName, EngineCallError error);

    [LoggerMessage(EventId = 23, EventName = "RequestShed", Level = LogLevel.Debug,
        Message = "Completion refused by admission: {Status} {Reason}")]
    public static partial void RequestShed(ILogger logger, int status, string reason);

    [LoggerMessage(EventId = 24, EventName = "ApiKeyRejected", Level = LogLevel.Debug,
        Message = "Request to {Path} refused: missing or wrong API key")]
    public static partial void ApiKeyRejected(ILogger logger, string path);

    [LoggerMessage(EventId = 25, EventName = "DrainDeadlineReached", Level = LogLevel.Warning,
        Message = "Shutdown drain deadline reached; ending {InFlight} in-flight completions with an error")]
    public static partial void DrainDeadlineReached(ILogger logger, int inFlight);
}
