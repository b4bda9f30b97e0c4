namespace MlcAspire.Bench.Measurement;

/// <summary>How one benchmark request ended, as the client saw it.</summary>
internal enum RequestOutcome
{
    /// <summary>2xx, and for a stream a final <c>data: [DONE]</c>.</summary>
    Ok,

    /// <summary>The server answered with a non-2xx status.</summary>
    HttpError,

    /// <summary>The connection failed or was reset before the response was complete.</summary>
    TransportError,

    /// <summary>A stream carried a <c>data: {"error":…}</c> event.</summary>
    StreamError,

    /// <summary>A stream ended without <c>data: [DONE]</c>.</summary>
    Truncated,

    /// <summary>The request exceeded the bench's per-request time limit.</summary>
    Timeout,
}
