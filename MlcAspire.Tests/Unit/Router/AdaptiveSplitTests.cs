using MlcAspire.Router;
using MlcAspire.Router.Scheduling;

namespace MlcAspire.Tests.Unit.Router;

[Trait("Category", "Unit")]
public sealed class AdaptiveSplitTests
{
    private static readonly RoutingOptions Options = new() { LocalPrefillTokens = 128, MinAdaptiveBalanceFactor = 0.1, MaxAdaptiveBalanceFactor = 0.3 };

    [Fact]
    public void Decide_ShortUncachedPart_PrefillsOnTheDecodeEngine()
    {
        var split = AdaptiveSplit.Decide(promptLength: 2100, decodeMatched: 2000, prefillBacklog: 0, decodeQueue: 0, Options);
        var longer = AdaptiveSplit.Decide(promptLength: 2148, decodeMatched: 2000, prefillBacklog: 0, decodeQueue: 0, Options);

        Assert.True(split.Local);
        Assert.Equal("local(short)", split.ToString());
        Assert.Equal(100, split.UncachedTokens);
        Assert.False(longer.Local);
    }

    [Fact]
    public void Decide_LongPromptBehindABackedUpPrefillEngine_NeverGoesWholeToTheDecodeEngine()
    {
        var split = AdaptiveSplit.Decide(3000, 0, prefillBacklog: 1_000_000, decodeQueue: 0, Options);

        Assert.False(split.Local);
        Assert.Equal(3000 - 900, split.End);
        Assert.Equal(0.3, split.BalanceFactor);
    }

    [Fact]
    public void Decide_IdlePrefillEngine_GivesTheDecodeEngineTheMinimumShare_AsAStaticFactorWould()
    {
        var split = AdaptiveSplit.Decide(3000, 0, prefillBacklog: 0, decodeQueue: 0, Options);

        Assert.False(split.Local);
        Assert.Equal(KvWindow.ComputeEnd(0.1, 3000), split.End);
    }

    [Fact]
    public void Decide_NoMinimumShare_IdlePrefillEngineTakesTheWholeWindow_AsMlcsDefault()
    {
        var split = AdaptiveSplit.Decide(3000, 0, prefillBacklog: 0, decodeQueue: 0, new RoutingOptions { MinAdaptiveBalanceFactor = 0 });

        Assert.Equal(KvWindow.Resolve(KvWindow.ComputeEnd(0, 3000), 3000), split.End);
    }

    [Fact]
    public void Decide_DecodeShareIsThePrefillBacklogBeyondThisPromptSpreadOverTheDecodeEnginesRequests_BetweenTheBounds()
    {
        var shortQueue = AdaptiveSplit.Decide(3000, 0, prefillBacklog: 2900, decodeQueue: 0, Options);
        var light = AdaptiveSplit.Decide(3000, 0, prefillBacklog: 3600, decodeQueue: 0, Options);
        var heavy = AdaptiveSplit.Decide(3000, 0, prefillBacklog: 9000, decodeQueue: 9, Options);
        var busyDecode = AdaptiveSplit.Decide(3000, 0, prefillBacklog: 9000, decodeQueue: 59, Options);

        // x = clamp((B − U) / (n + 1), 0.1 · U, 0.3 · U).
        Assert.Equal(3000 - 300, shortQueue.End);
        Assert.Equal(3000 - 600, light.End);
        Assert.Equal(3000 - 600, heavy.End);
        Assert.Equal(3000 - 300, busyDecode.End);
        Assert.Equal(0.2, heavy.BalanceFactor);
    }

    [Fact]
    public void Decide_DecodeShareIsBoundedByTheUncachedPart_NotThePrompt()
    {
        var capped = AdaptiveSplit.Decide(3000, 2000, prefillBacklog: 100_000, decodeQueue: 0, Options);
        var floored = AdaptiveSplit.Decide(3000, 2000, prefillBacklog: 0, decodeQueue: 0, Options);

        Assert.Equal(1000, capped.UncachedTokens);
        Assert.Equal(3000 - 300, capped.End);
        Assert.Equal(3000 - 100, floored.End);
    }

    [Fact]
    public void Decide_MinimumAboveTheMaximum_CountsAsTheMaximum()
    {
        var split = AdaptiveSplit.Decide(3000, 0, prefillBacklog: 0, decodeQueue: 0, new RoutingOptions { MinAdaptiveBalanceFactor = 0.5, MaxAdaptiveBalanceFactor = 0.2 });

        Assert.Equal(3000 - 600, split.End);
    }

    [Fact]
    public void Decide_RemoteWindow_StartsAfterTheDecodeEnginesMatchAndFitsTheWindowRules()
    {
        var split = AdaptiveSplit.Decide(3000, 1024, prefillBacklog: 4000, decodeQueue: 1, Options);

        Assert.False(split.Local);
        Assert.Equal(1976, split.UncachedTokens);
        Assert.InRange(split.End, 1024, 2999);
        Assert.Null(KvWindow.CheckPrepRecv(split.End, 3000));
    }
}
