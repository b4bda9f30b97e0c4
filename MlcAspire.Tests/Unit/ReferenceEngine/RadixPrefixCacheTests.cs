extern alias ReferenceEngine;

using ReferenceEngine::MlcAspire.ReferenceEngine.KvCache;

namespace MlcAspire.Tests.Unit.ReferenceEngine;

[Trait("Category", "Unit")]
public sealed class RadixPrefixCacheTests
{
    [Fact]
    public void MatchInto_SharesFullPagesAndCopiesThePartialOne()
    {
        var (cache, tree) = Create(pages: 8);
        var tokens = Enumerable.Range(0, 40).ToArray();
        var finished = Filled(cache, tokens.Length);
        tree.Insert(tokens, tokens.Length, finished.Pages);
        finished.ReleaseAll();

        var target = new SequencePages(cache);
        var matched = tree.MatchInto([.. tokens[..20], 999], maxLength: 21, target);

        Assert.Equal(20, matched);
        Assert.Equal(2, target.Pages.Count);
        Assert.Equal(2, cache.RefCount(target.Pages[0]));
        Assert.Equal(1, cache.RefCount(target.Pages[1]));
        Assert.Equal(16f, cache.Row(target.Pages, 16)[0]);
        Assert.Equal(19f, cache.Row(target.Pages, 19)[0]);
    }

    [Fact]
    public void MatchInto_NeverExceedsMaxLength()
    {
        var (cache, tree) = Create(pages: 8);
        var tokens = Enumerable.Range(0, 32).ToArray();
        var finished = Filled(cache, tokens.Length);
        tree.Insert(tokens, tokens.Length, finished.Pages);
        finished.ReleaseAll();

        Assert.Equal(31, tree.MatchInto(tokens, maxLength: 31, new SequencePages(cache)));
    }

    [Fact]
    public void EvictUntilFree_GivesBackPagesNobodyUses()
    {
        var (cache, tree) = Create(pages: 4);
        var tokens = Enumerable.Range(0, 64).ToArray();
        var finished = Filled(cache, tokens.Length);
        tree.Insert(tokens, tokens.Length, finished.Pages);
        finished.ReleaseAll();
        Assert.Equal(0, cache.FreePages);

        tree.EvictUntilFree(2);

        Assert.Equal(2, cache.FreePages);
        Assert.Equal(2, tree.EvictablePages);
    }

    private static (PagedKvCache Cache, RadixPrefixCache Tree) Create(int pages)
    {
        var cache = new PagedKvCache(pages, rowFloats: 2);
        return (cache, new RadixPrefixCache(cache));
    }

    /// <summary>A sequence whose row at position p starts with p, so copies can be checked.</summary>
    private static SequencePages Filled(PagedKvCache cache, int positions)
    {
        var pages = new SequencePages(cache);
        Assert.True(pages.TryEnsureCapacity(positions));
        for (var p = 0; p < positions; p++)
        {
            cache.Row(pages.Pages, p)[0] = p;
        }

        return pages;
    }
}
