using System.ComponentModel.DataAnnotations;

namespace MlcAspire.Router;

/// <summary>
/// The router's health, admission, security and shutdown settings (docs/reliability.md): the second half of the
/// <c>Router</c> section, beside <see cref="RouterOptions"/>, so that every router key is <c>Router__*</c>
/// (e.g. <c>Router__ApiKey</c>). A class of its own for its own validator and its own readers.
/// </summary>
public sealed class RouterReliabilityOptions
{
    /// <summary>The same section as <see cref="RouterOptions"/>: the keys users set (<c>Router__MaxQueuedRequests</c>) stay where they are.</summary>
    public const string SectionName = RouterOptions.SectionName;

    /// <summary><c>Router__ApiKey</c>: when set, <c>/v1/*</c> needs <c>Authorization: Bearer &lt;key&gt;</c>.</summary>
    public string? ApiKey { get; set; }

    /// <summary><c>Router__ProtectOperationalEndpoints</c>: also require the key on health, status and metrics.</summary>
    public bool ProtectOperationalEndpoints { get; set; }

    /// <summary><c>Router__CorsOrigins</c>: origins allowed to call the router from a browser; CORS is off when empty.</summary>
    public List<string> CorsOrigins { get; set; } = [];

    /// <summary>Completions one generating engine runs at once; the router holds the rest in its queue.</summary>
    [Range(1, 100_000)]
    public int MaxInFlightPerEngine { get; set; } = 32;

    /// <summary>Completions that may wait for a free slot; beyond it the client gets 429 at once.</summary>
    [Range(0, 1_000_000)]
    public int MaxQueuedRequests { get; set; } = 256;

    /// <summary>Longest wait in the queue before the client gets 429.</summary>
    public TimeSpan QueueTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The <c>Retry-After</c> (seconds) sent with 429 and 503.</summary>
    [Range(1, 3600)]
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>Consecutive engine faults (transport, 5xx, timeout, invalid answer) that open an engine's circuit.</summary>
    [Range(1, 1000)]
    public int FailureThreshold { get; set; } = 3;

    /// <summary>How long an open circuit keeps an engine out of rotation before one probe may try it (half-open).</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often each engine's readiness (<c>GET /v1/models</c>) and generation progress are checked.</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Budget of one readiness probe.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// An engine with a token stream open that produced nothing for this long is stuck: its circuit opens. Calls still
    /// waiting for an answer (prep_recv, remote_send, the first token) are bounded by their own, longer timeouts instead.
    /// </summary>
    public TimeSpan StuckTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>On shutdown, how long in-flight completions may run before they end with an error event.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(20);
}
