namespace MlcAspire.Router.Scheduling;

/// <summary>
/// The per-request disaggregation decision of <c>--pd-balance-factor adaptive</c> (docs/router.md, "Adaptive
/// disaggregation"): prefill a short uncached part on the decode engine alone, else remotely with a balance factor
/// chosen for this request from what waiting behind the prefill engine costs against what computing on the decode
/// engine costs.
/// </summary>
/// <remarks>
/// Inputs: the prompt length L; the prefix the decode engine D probably holds (its index match, m), so the uncached
/// part U = L − m; B, the prompt tokens the prefill engine still has to compute for the handoffs in flight on it (the
/// least backlogged one other than D); n, D's other requests in flight (mostly generations).
/// 1. U ≤ <see cref="RoutingOptions.LocalPrefillTokens"/>: local. A handoff costs three calls and a KV transfer, and
///    the prefill engine would compute the whole prefix [0 : end) again unless it holds it too; but each token D
///    computes delays each of its generations, so only a short part is worth computing there.
/// 2. Otherwise remote, never a whole long prompt on D: D computes the last x tokens itself, where
///    x = clamp((B − U) / (n + 1), f_min · U, f_max · U), at least 1. D prefills at least the last token of every handoff,
///    and that prefill step already slows all its generations down (the fixed part of prefill interference); a
///    share f_min = <see cref="RoutingOptions.MinAdaptiveBalanceFactor"/> adds only its tokens' time to that step and
///    takes as much off the prefill engine and the KV transfer. Beyond it, every token D computes delays its n
///    generations and this request (n + 1 waits of one token's time; more in fact, as a longer step of D's also delays
///    the prep_recv and start_generate calls of its handoffs), and every token it takes off the prefill engine shortens
///    the queue that the requests behind this one wait for. That queue matters once this request waits longer behind it
///    than it takes to compute (B > U). So D takes more only while the prefill engine is backed up, that excess backlog
///    spread over its own requests, and at most the share
///    f_max = <see cref="RoutingOptions.MaxAdaptiveBalanceFactor"/> (a minimum above it counts as the maximum).
/// The window end is L − x; the balance factor reported is x / L in MLC's sense.
/// </remarks>
public static class AdaptiveSplit
{
    /// <summary>Decides the split of one request.</summary>
    public static SplitDecision Decide(int promptLength, int decodeMatched, long prefillBacklog, int decodeQueue, RoutingOptions options)
    {
        var uncached = Math.Max(0, promptLength - Math.Min(decodeMatched, promptLength));
        if (uncached <= options.LocalPrefillTokens)
        {
            return SplitDecision.LocalFor("short", uncached);
        }

        var cap = Math.Max(1, (int)(options.MaxAdaptiveBalanceFactor * uncached));
        var floor = Math.Clamp((int)(options.MinAdaptiveBalanceFactor * uncached), 1, cap);
        var fair = Math.Max(0, prefillBacklog - uncached) / (Math.Max(0, decodeQueue) + 1.0);
        var decodeTokens = (int)Math.Clamp(Math.Round(fair), floor, cap);
        return new SplitDecision(false, promptLength - decodeTokens, (double)decodeTokens / promptLength, "remote", uncached);
    }
}
