using System.Net;

namespace MlcAspire.Router.Forwarding;

/// <summary>An expected failure of an engine call, as a value: what happened and what the client should see.</summary>
public sealed record EngineFailure(EngineCallError Error, string Message, int EngineStatusCode = 0)
{
    /// <summary>The status the client gets: the engine's 4xx kept, 502 for engine or transport faults, 504 for timeouts.</summary>
    public int ClientStatusCode => Error switch
    {
        EngineCallError.EngineRejected => EngineStatusCode,
        EngineCallError.InvalidWindow => (int)HttpStatusCode.BadRequest,
        EngineCallError.Timeout => (int)HttpStatusCode.GatewayTimeout,
        EngineCallError.PreemptRetriesExhausted or EngineCallError.NoHealthyEngine => (int)HttpStatusCode.ServiceUnavailable,
        EngineCallError.Canceled => 499,
        _ => (int)HttpStatusCode.BadGateway,
    };

    /// <summary>The OpenAI error <c>type</c> for this failure.</summary>
    public string ErrorType => Error switch
    {
        EngineCallError.EngineRejected when EngineStatusCode == (int)HttpStatusCode.Unauthorized => OpenAIError.AuthenticationError,
        EngineCallError.EngineRejected or EngineCallError.InvalidWindow => OpenAIError.InvalidRequestError,
        _ => OpenAIError.ServerError,
    };

    /// <summary>
    /// The engine's fault, not the request's or the client's: it counts against the engine's circuit, and one
    /// before the first byte may be retried on another engine.
    /// </summary>
    public bool IsEngineFault => Error is EngineCallError.Transport or EngineCallError.EngineFailed or EngineCallError.Timeout or EngineCallError.InvalidResponse;

    /// <summary>
    /// The engine provably never read the request: the connection could not be made (refused, unreachable, not
    /// resolved) or broke before the body was written. Only such a fault is retried on another engine: after the request
    /// went out, the engine may be computing it still, and a retry would do that work twice.
    /// </summary>
    public bool BeforeRequestSent { get; init; }

    public static EngineFailure Canceled { get; } = new(EngineCallError.Canceled, "The request was canceled.");
}
