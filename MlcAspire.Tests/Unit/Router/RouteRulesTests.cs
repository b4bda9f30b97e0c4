using MlcAspire.Contracts;
using MlcAspire.Router;
using MlcAspire.Router.Health;
using MlcAspire.Router.Scheduling;

namespace MlcAspire.Tests.Unit.Router;

[Trait("Category", "Unit")]
public sealed class RouteRulesTests
{
    private static readonly RoutingOptions CacheAware = new() { RoutingPolicy = RoutingPolicy.CacheAware };
    private static readonly EngineState[] Engines = [.. Enumerable.Range(0, 3).Select(i =>
        new EngineState($"engine-{i}", EngineRole.Both, i, new EngineHealth(TimeProvider.System, 3, TimeSpan.FromSeconds(5))))];

    [Fact]
    public void Choose_CacheAware_PrefersTheLongestMatchWithinTheLoadMargins()
    {
        var (winner, reason) = RouteRules.Choose([Candidate(0, 2, 0), Candidate(1, 3, 1024), Candidate(2, 2, 512)], 1100, null, CacheAware);

        Assert.Equal(Engines[1], winner.Engine);
        Assert.Equal(RouteReason.Cache, reason);
    }

    [Fact]
    public void Choose_CacheAware_PassesOverAnOverloadedEngineWhateverItHolds()
    {
        // 10 - 2 > 4 and 10 > 2 * 1.5: overloaded, so the next best match wins.
        var (winner, reason) = RouteRules.Choose([Candidate(0, 2, 0), Candidate(1, 10, 1024), Candidate(2, 3, 512)], 1024, null, CacheAware);

        Assert.Equal(Engines[2], winner.Engine);
        Assert.Equal(RouteReason.Cache, reason);
    }

    [Fact]
    public void Choose_LoadWithinEitherMargin_IsNotOverloaded()
    {
        var options = new RoutingOptions { RoutingPolicy = RoutingPolicy.CacheAware, BalanceAbsThreshold = 4, BalanceRelThreshold = 1.5 };

        Assert.False(RouteRules.IsOverloaded(6, 2, options));
        Assert.False(RouteRules.IsOverloaded(28, 20, options));
        Assert.True(RouteRules.IsOverloaded(31, 20, options));
        Assert.True(RouteRules.IsOverloaded(5, 0, options));
    }

    [Fact]
    public void Choose_MatchBelowTheCacheThreshold_FallsBackToLeastLoaded()
    {
        var (winner, reason) = RouteRules.Choose([Candidate(0, 3, 100), Candidate(1, 1, 0), Candidate(2, 2, 0)], 1000, null, CacheAware);

        Assert.Equal(Engines[1], winner.Engine);
        Assert.Equal(RouteReason.LeastLoaded, reason);
    }

    [Fact]
    public void Choose_NoSharedPrefix_IsLeastLoadedInScanOrder()
    {
        var candidates = new[] { Candidate(2, 1, 0), Candidate(0, 1, 0), Candidate(1, 4, 0) };

        Assert.Equal(RouteRules.Choose(candidates, 500, null, new RoutingOptions()), RouteRules.Choose(candidates, 500, null, CacheAware));
        Assert.Equal(Engines[2], RouteRules.Choose(candidates, 500, null, CacheAware).Winner.Engine);
    }

    [Fact]
    public void Choose_EqualMatches_GoToTheLowerLoad()
    {
        var (winner, _) = RouteRules.Choose([Candidate(0, 3, 512), Candidate(1, 1, 512), Candidate(2, 2, 512)], 600, null, CacheAware);

        Assert.Equal(Engines[1], winner.Engine);
    }

    [Fact]
    public void Choose_SessionEngine_WinsWhileNotOverloaded_UnderEitherPolicy()
    {
        RouteCandidate[] candidates = [Candidate(0, 0, 0), Candidate(1, 3, 0), Candidate(2, 1, 0)];

        Assert.Equal((candidates[1], RouteReason.Session), RouteRules.Choose(candidates, 0, Engines[1], new RoutingOptions()));
        Assert.Equal((candidates[1], RouteReason.Session), RouteRules.Choose(candidates, 100, Engines[1], CacheAware));
    }

    [Fact]
    public void Choose_OverloadedSessionEngine_GivesWayToTheLeastLoaded()
    {
        var (winner, reason) = RouteRules.Choose([Candidate(0, 0, 0), Candidate(1, 9, 0)], 0, Engines[1], new RoutingOptions());

        Assert.Equal(Engines[0], winner.Engine);
        Assert.Equal(RouteReason.LeastLoaded, reason);
    }

    [Fact]
    public void Choose_SuspectEngine_ComesAfterEveryTrustedOne_EvenWithItsCache()
    {
        var (winner, _) = RouteRules.Choose([Candidate(0, 0, 1024, suspect: true), Candidate(1, 2, 0)], 1024, null, CacheAware);
        var (onlySuspects, _) = RouteRules.Choose([Candidate(0, 2, 0, suspect: true), Candidate(1, 1, 0, suspect: true)], 1024, null, CacheAware);

        Assert.Equal(Engines[1], winner.Engine);
        Assert.Equal(Engines[1], onlySuspects.Engine);
    }

    private static RouteCandidate Candidate(int engine, int load, int matched, bool suspect = false) => new(Engines[engine], load, matched, suspect);
}
