namespace MlcAspire.Router.Scheduling;

/// <summary>
/// The choice among qualifying engines (docs/router.md, "Routing policy"). Pure: the scheduler calls it under its
/// lock with live loads and the prefix index's matches.
/// </summary>
/// <remarks>
/// 1. Suspect engines (last call failed) count only when no other engine qualifies.
/// 2. An engine is overloaded when its load exceeds the least loaded by more than the absolute margin <b>and</b> more
///    than the relative margin (SGLang's balance thresholds). Overloaded engines are never chosen for cache or session.
/// 3. The session's engine, when it is not overloaded.
/// 4. Cache-aware: the longest matched prefix among the rest when it covers at least the cache threshold of the
///    prompt; ties go to the lower load, then scan order.
/// 5. Otherwise the least loaded, first in scan order (the cursor rotates it, so equal loads take turns).
/// Step 5 alone is least-loaded; with no shared prefix every match is 0 and cache-aware is exactly least-loaded.
/// </remarks>
public static class RouteRules
{
    /// <summary>Chooses among <paramref name="candidates"/> (non-empty, in scan order).</summary>
    public static (RouteCandidate Winner, RouteReason Reason) Choose(
        ReadOnlySpan<RouteCandidate> candidates, int promptTokens, EngineState? sessionEngine, RoutingOptions options)
    {
        var anyTrusted = false;
        foreach (var candidate in candidates)
        {
            anyTrusted |= !candidate.Suspect;
        }

        var minLoad = int.MaxValue;
        RouteCandidate? leastLoaded = null;
        foreach (var candidate in candidates)
        {
            if (Counts(candidate, anyTrusted) && candidate.Load < minLoad)
            {
                minLoad = candidate.Load;
                leastLoaded = candidate;
            }
        }

        RouteCandidate? cached = null;
        foreach (var candidate in candidates)
        {
            if (!Counts(candidate, anyTrusted) || IsOverloaded(candidate.Load, minLoad, options))
            {
                continue;
            }

            if (candidate.Engine == sessionEngine)
            {
                return (candidate, RouteReason.Session);
            }

            if (cached is not { } best || candidate.MatchedTokens > best.MatchedTokens
                || (candidate.MatchedTokens == best.MatchedTokens && candidate.Load < best.Load))
            {
                cached = candidate;
            }
        }

        return options.RoutingPolicy == RoutingPolicy.CacheAware && cached is { MatchedTokens: > 0 } hit
            && hit.MatchedTokens >= options.CacheThreshold * promptTokens
            ? (hit, RouteReason.Cache)
            : (leastLoaded!.Value, RouteReason.LeastLoaded);
    }

    /// <summary>SGLang's imbalance test, applied to one engine against the least loaded.</summary>
    public static bool IsOverloaded(int load, int minLoad, RoutingOptions options) =>
        load - minLoad > options.BalanceAbsThreshold && load > minLoad * options.BalanceRelThreshold;

    private static bool Counts(RouteCandidate candidate, bool anyTrusted) => !candidate.Suspect || !anyTrusted;
}
