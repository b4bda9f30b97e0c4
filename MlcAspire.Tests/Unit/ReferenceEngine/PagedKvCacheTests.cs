extern alias ReferenceEngine;

using ReferenceEngine::MlcAspire.ReferenceEngine.KvCache;

namespace MlcAspire.Tests.Unit.ReferenceEngine;

[Trait("Category", "Unit")]
public sealed class PagedKvCacheTests
{
    [Fact]
    public void Constructor_ACacheBeyondOneArray_IsRefused()
    {
        // 2^27 slots of 16 floats: 2^31 floats, one more than an int offset can address.
        Assert.Throws<ArgumentOutOfRangeException>(() => new PagedKvCache((1 << 27) / PagedKvCache.PageSize, rowFloats: 16));
    }

    [Fact]
    public void TryWriteReceivedRow_OnlyTheReservedSlotsOfAPageAcceptRows()
    {
        var cache = new PagedKvCache(4, rowFloats: 2);
        Assert.True(cache.TryAllocate(out var page));
        var first = page * PagedKvCache.PageSize;
        for (var slot = first + 3; slot < first + 10; slot++)
        {
            cache.SetReceivable(slot);
        }

        Assert.True(cache.TryWriteReceivedRow(first + 3, [1, 2]));
        Assert.True(cache.TryWriteReceivedRow(first + 9, [1, 2]));
        Assert.False(cache.TryWriteReceivedRow(first + 2, [1, 2]));
        Assert.False(cache.TryWriteReceivedRow(first + 10, [1, 2]));
        Assert.False(cache.TryWriteReceivedRow(first + 15, [1, 2]));
        Assert.False(cache.TryWriteReceivedRow(-1, [1, 2]));
        Assert.False(cache.TryWriteReceivedRow(4 * PagedKvCache.PageSize, [1, 2]));
        Assert.Equal([0f, 0f], cache.Row(first + 2).ToArray());
    }

    [Fact]
    public void ClearReceivable_AndReleasingThePage_EndReceiving()
    {
        var cache = new PagedKvCache(2, rowFloats: 2);
        Assert.True(cache.TryAllocate(out var page));
        var slot = page * PagedKvCache.PageSize;
        cache.SetReceivable(slot);

        cache.ClearReceivable(page);
        Assert.False(cache.CanReceive(slot));

        cache.SetReceivable(slot);
        cache.Release(page);
        Assert.False(cache.CanReceive(slot));
    }
}
