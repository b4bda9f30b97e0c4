namespace MlcAspire.Router.Scheduling;

/// <summary>
/// The per-request disaggregation decision of <c>--pd-balance-factor adaptive</c> (docs/router.md, "Adaptive
/// disaggregation"): prefill on the decode engine alone, or remotely with a balance factor chosen for this request.
/// </summary>
/// <remarks>
/// Inputs: the prompt length L, the prefix the decode engine probably holds (its index match, m), so the uncached
/// part U = L − m; the least-loaded prefill engine's requests in flight (q_P, handoffs it is computing or about to),
/// and the decode engine's other requests in flight (q_D, mostly generations).
/// 1. U ≤ <see cref="RoutingOptions.LocalPrefillTokens"/>: local. A handoff costs three calls and a KV transfer,
///    more than computing a few tokens on the engine that decodes anyway (and that may hold the rest).
/// 2. q_P ≥ <see cref="RoutingOptions.MaxPrefillQueue"/>: local. The prefill engines are the bottleneck; waiting
///    behind their queue costs more than the decode engine's own prefill.
/// 3. Otherwise remote. The decode engine takes the share f = f_max · q_P / (q_P + q_D + 1) of the uncached part's
///    tail: nothing when the prefill engine is idle (MLC's default, f = 0), more as the prefill queue grows relative
///    to the decode engine's. The window end is L − max(1, round(f · U)); the balance factor reported is (L − end) / L
///    in MLC's sense.
/// </remarks>
public static class AdaptiveSplit
{
    /// <summary>Decides the split of one request.</summary>
    public static SplitDecision Decide(int promptLength, int decodeMatched, int prefillQueue, int decodeQueue, RoutingOptions options)
    {
        var uncached = Math.Max(0, promptLength - Math.Min(decodeMatched, promptLength));
        if (uncached <= options.LocalPrefillTokens)
        {
            return SplitDecision.LocalFor("short", uncached);
        }

        if (prefillQueue >= options.MaxPrefillQueue)
        {
            return SplitDecision.LocalFor("prefill-busy", uncached);
        }

        var share = options.MaxAdaptiveBalanceFactor * prefillQueue / (prefillQueue + Math.Max(0, decodeQueue) + 1.0);
        var decodeTokens = Math.Clamp((int)Math.Round(share * uncached), 1, uncached);
        var end = promptLength - decodeTokens;
        return new SplitDecision(false, end, (double)decodeTokens / promptLength, "remote", uncached);
    }
}
