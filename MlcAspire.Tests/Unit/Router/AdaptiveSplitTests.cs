using MlcAspire.Router;
using MlcAspire.Router.Scheduling;

namespace MlcAspire.Tests.Unit.Router;

[Trait("Category", "Unit")]
public sealed class AdaptiveSplitTests
{
    private static readonly RoutingOptions Options = new() { LocalPrefillTokens = 128, MaxPrefillQueue = 4, MaxAdaptiveBalanceFactor = 0.5 };

    [Fact]
    public void Decide_ShortUncachedPart_PrefillsOnTheDecodeEngine()
    {
        var split = AdaptiveSplit.Decide(promptLength: 2100, decodeMatched: 2000, prefillQueue: 0, decodeQueue: 0, Options);

        Assert.True(split.Local);
        Assert.Equal("local(short)", split.ToString());
        Assert.Equal(100, split.UncachedTokens);
    }

    [Fact]
    public void Decide_BusyPrefillEngines_PrefillOnTheDecodeEngine()
    {
        var split = AdaptiveSplit.Decide(2000, 0, prefillQueue: 4, decodeQueue: 0, Options);

        Assert.True(split.Local);
        Assert.Equal("prefill-busy", split.Reason);
    }

    [Fact]
    public void Decide_IdlePrefillEngine_TakesTheWholeWindow_AsMlcsDefault()
    {
        var split = AdaptiveSplit.Decide(2000, 0, prefillQueue: 0, decodeQueue: 5, Options);

        Assert.False(split.Local);
        Assert.Equal(1999, split.End);
        Assert.Equal(KvWindow.Resolve(KvWindow.ComputeEnd(0, 2000), 2000), split.End);
    }

    [Fact]
    public void Decide_DecodeShareGrowsWithThePrefillQueue_AndShrinksWithTheDecodeQueue()
    {
        var light = AdaptiveSplit.Decide(2000, 0, prefillQueue: 1, decodeQueue: 0, Options);
        var heavy = AdaptiveSplit.Decide(2000, 0, prefillQueue: 3, decodeQueue: 0, Options);
        var busyDecode = AdaptiveSplit.Decide(2000, 0, prefillQueue: 3, decodeQueue: 8, Options);

        // f = 0.5 * q_P / (q_P + q_D + 1) of the 2000 uncached tokens.
        Assert.Equal(2000 - 500, light.End);
        Assert.Equal(2000 - 750, heavy.End);
        Assert.Equal(2000 - 250, busyDecode.End);
        Assert.Equal(0.375, heavy.BalanceFactor);
    }

    [Fact]
    public void Decide_RemoteWindow_StartsAfterTheDecodeEnginesMatchAndFitsTheWindowRules()
    {
        var split = AdaptiveSplit.Decide(3000, 1024, prefillQueue: 2, decodeQueue: 1, Options);

        Assert.False(split.Local);
        Assert.Equal(1976, split.UncachedTokens);
        Assert.InRange(split.End, 1024, 2999);
        Assert.Null(KvWindow.CheckPrepRecv(split.End, 3000));
    }
}
