namespace MlcAspire.Router.Forwarding;

/// <summary>How an engine call (or a whole attempt) ended when it did not succeed.</summary>
public enum EngineCallError
{
    /// <summary>No error.</summary>
    None,

    /// <summary>The engine answered 4xx: the request was at fault; its status and message reach the client.</summary>
    EngineRejected,

    /// <summary>The engine answered 5xx (e.g. a text/plain "Internal Server Error"): 502 to the client.</summary>
    EngineFailed,

    /// <summary>Connecting, sending or reading failed at the transport level: 502.</summary>
    Transport,

    /// <summary>A phase timeout (admission, remote_send, first token, idle) expired: 504.</summary>
    Timeout,

    /// <summary>The client left or the caller cancelled: no body.</summary>
    Canceled,

    /// <summary>The engine answered 2xx with a body the protocol does not allow: 502.</summary>
    InvalidResponse,

    /// <summary>Every attempt was preempted and retries ran out: 503.</summary>
    PreemptRetriesExhausted,

    /// <summary>The KV window computed for the prompt breaks the MicroServing rules: 400, before any engine is called.</summary>
    InvalidWindow,

    /// <summary>
    /// A preempted stream's retry did not regenerate the text the client already has (an engine's batched arithmetic
    /// can differ with the batch): the stream ends with an error event rather than splice two texts.
    /// </summary>
    RetryDiverged,

    /// <summary>No engine of a role the mode needs is in rotation (all out, or none configured): 503 with <c>Retry-After</c>.</summary>
    NoHealthyEngine,
}
