using System.ComponentModel.DataAnnotations;

namespace MlcAspire.Router;

/// <summary>
/// Engine choice: the routing policy, the prefix index, the load margins, session affinity, the per-request
/// disaggregation rule and the routing header; bound from the same <c>Router</c> section as
/// <see cref="RouterOptions"/> (e.g. <c>Router__RoutingPolicy</c>), see docs/router.md.
/// </summary>
public sealed class RoutingOptions
{
    public const string SectionName = RouterOptions.SectionName;

    /// <summary><c>Router__RoutingPolicy</c>: <c>least-loaded</c> or <c>cache-aware</c> (the AppHost picks cache-aware with the prefix cache).</summary>
    public RoutingPolicy RoutingPolicy { get; set; } = RoutingPolicy.LeastLoaded;

    /// <summary>Tokens per indexed block: the engines' KV page size (16 in MLC and the reference engine).</summary>
    [Range(1, 4096)]
    public int PrefixBlockSize { get; set; } = 16;

    /// <summary>Memory cap of the prefix index over all engines; the least recently used blocks go first beyond it.</summary>
    [Range(64 * 1024, 1L << 34)]
    public long PrefixIndexMaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>An engine this many requests above the least loaded (and <see cref="BalanceRelThreshold"/> times it) is not chosen for its cache.</summary>
    [Range(0, 100_000)]
    public int BalanceAbsThreshold { get; set; } = 4;

    /// <summary>See <see cref="BalanceAbsThreshold"/>: both margins must be exceeded, as in SGLang's cache-aware policy.</summary>
    [Range(1.0, 1000.0)]
    public double BalanceRelThreshold { get; set; } = 1.5;

    /// <summary>Share of the prompt the best engine must hold for its cache to count; below it the least loaded wins.</summary>
    [Range(0.0, 1.0)]
    public double CacheThreshold { get; set; } = 0.5;

    /// <summary>The request header whose value names a session: its requests stay on one engine while that engine is not overloaded.</summary>
    [Required]
    public string SessionHeader { get; set; } = "X-Session-Id";

    /// <summary>Longest session id used for affinity; a longer one is ignored, so remembered sessions stay small (under 30 MiB at the default cap).</summary>
    public const int MaxSessionIdLength = 128;

    /// <summary>Sessions remembered; the least recently used is forgotten beyond it.</summary>
    [Range(0, 10_000_000)]
    public int MaxSessions { get; set; } = 100_000;

    /// <summary>Send the <c>X-Mlc-Route</c> response header on every completion, not only when the client asks for it.</summary>
    public bool ExposeRoute { get; set; }

    /// <summary>
    /// <c>Router__PdBalanceAdaptive</c> (<c>--pd-balance-factor adaptive</c>): decide per request whether to prefill
    /// remotely and with which balance factor; <see cref="RouterOptions.PdBalanceFactor"/> is then unused.
    /// </summary>
    public bool PdBalanceAdaptive { get; set; }

    /// <summary>Adaptive: an uncached part this short is prefilled by the decode engine itself.</summary>
    [Range(0, 1_000_000)]
    public int LocalPrefillTokens { get; set; } = 128;

    /// <summary>
    /// Adaptive: the share of the uncached part the decode engine computes on every remote prefill (MLC's blog's 0.1):
    /// it prefills the last token anyway, and that step already slows its generations; a tenth more adds only its tokens' time.
    /// </summary>
    [Range(0.0, 0.95)]
    public double MinAdaptiveBalanceFactor { get; set; } = 0.1;

    /// <summary>Adaptive: the largest share of the uncached part the decode engine computes on a remote prefill, however backed up the prefill engine is.</summary>
    [Range(0.0, 0.95)]
    public double MaxAdaptiveBalanceFactor { get; set; } = 0.3;
}
