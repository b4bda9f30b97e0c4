using MlcAspire.Router.Scheduling;

namespace MlcAspire.Tests.Unit.Router;

[Trait("Category", "Unit")]
public sealed class PrefixIndexTests
{
    private const int BlockSize = 16;

    [Fact]
    public void Match_CountsTheLeadingBlocksOfTheChainThatWereInserted()
    {
        var index = new PrefixIndex(1024, BlockSize);
        var conversation = Tokens(0, 100);
        index.Insert(Chain(conversation), int.MaxValue);

        var nextTurn = Chain([.. conversation, .. Tokens(1000, 40)]);

        Assert.Equal(100 / BlockSize, index.Match(nextTurn));
        Assert.Equal(100 / BlockSize * BlockSize, index.Tokens);
    }

    [Fact]
    public void Match_StopsAtTheFirstDifferentToken_EvenWhenLaterTokensAgree()
    {
        var index = new PrefixIndex(1024, BlockSize);
        var prompt = Tokens(0, 64);
        index.Insert(Chain(prompt), int.MaxValue);

        var changed = prompt.ToArray();
        changed[20] = 99_999;

        // Block 0 is shared; block 1 holds the change, and blocks 2-3 hash the whole prefix before them.
        Assert.Equal(1, index.Match(Chain(changed)));
    }

    [Fact]
    public void Match_IgnoresAPartialLastBlock()
    {
        Assert.Empty(Chain(Tokens(0, BlockSize - 1)));
        Assert.Equal(2, Chain(Tokens(0, 2 * BlockSize + 5)).Length);
    }

    [Fact]
    public void Insert_BeyondTheCap_EvictsTheLeastRecentlyUsedChainFirst()
    {
        var index = new PrefixIndex(8, BlockSize);
        var old = Chain(Tokens(0, 4 * BlockSize));
        var recent = Chain(Tokens(10_000, 4 * BlockSize));
        index.Insert(old, int.MaxValue);
        index.Insert(recent, int.MaxValue);

        index.Insert(old, int.MaxValue);
        index.Insert(Chain(Tokens(20_000, 2 * BlockSize)), int.MaxValue);

        Assert.Equal(8, index.Count);
        Assert.Equal(4, index.Match(old));
        Assert.Equal(2, index.Match(recent));
    }

    [Fact]
    public void Insert_EvictsLeavesBeforeTheirPrefix_SoAPartlyEvictedChainStillMatchesItsStart()
    {
        var index = new PrefixIndex(4, BlockSize);
        var long_ = Chain(Tokens(0, 4 * BlockSize));
        index.Insert(long_, int.MaxValue);

        index.Insert(Chain(Tokens(50_000, BlockSize)), int.MaxValue);

        Assert.Equal(3, index.Match(long_));
    }

    [Fact]
    public void EvictThrough_ForgetsTheBlockAndEverythingLessRecentlyUsed()
    {
        var index = new PrefixIndex(1024, BlockSize);
        var older = Chain(Tokens(0, 3 * BlockSize));
        var reported = Chain(Tokens(10_000, 4 * BlockSize));
        var newer = Chain(Tokens(20_000, 2 * BlockSize));
        index.Insert(older, int.MaxValue);
        index.Insert(reported, int.MaxValue);
        index.Insert(newer, int.MaxValue);

        // The engine reported only one block of `reported`: block 1 was evicted, so were the older blocks.
        index.EvictThrough(reported[1]);

        Assert.Equal(0, index.Match(older));
        Assert.Equal(1, index.Match(reported));
        Assert.Equal(2, index.Match(newer));
    }

    [Fact]
    public void Insert_AMillionDistinctTokens_StaysUnderTheDefaultCap()
    {
        const long cap = 64L * 1024 * 1024;
        var index = new PrefixIndex((int)(cap / PrefixIndex.BytesPerBlock / 4), BlockSize);
        for (var session = 0; session < 1000; session++)
        {
            index.Insert(Chain(Tokens(session * 1024, 1024)), int.MaxValue);
        }

        // 1,024,000 distinct tokens in full blocks, all held: a quarter of the cap (one engine of four) is enough.
        Assert.Equal(1_024_000, index.Tokens);
        Assert.InRange(index.ApproximateBytes, 1, cap / 4);
    }

    [Fact]
    public void Insert_AMillionDistinctTokensUnderASmallCap_EvictsAndNeverAllocatesPastIt()
    {
        const int maxBlocks = 10_000;
        var index = new PrefixIndex(maxBlocks, BlockSize);
        var chains = Enumerable.Range(0, 1000).Select(session => Chain(Tokens(session * 1000, 1000))).ToList();

        var before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var chain in chains)
        {
            index.Insert(chain, int.MaxValue);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(maxBlocks, index.Count);
        Assert.InRange(index.ApproximateBytes, 1, (long)maxBlocks * PrefixIndex.BytesPerBlock);

        // Growth by doubling allocates a bounded multiple of the final arrays, however many blocks went through.
        Assert.InRange(allocated, 1, 3L * maxBlocks * PrefixIndex.BytesPerBlock);
        Assert.Equal(1000 / BlockSize, index.Match(chains[^1]));
        Assert.Equal(0, index.Match(chains[0]));
    }

    [Fact]
    public void ConcurrentInsertsAndMatches_KeepTheIndexConsistent()
    {
        var index = new PrefixIndex(2_000, BlockSize);
        Parallel.For(0, 200, session =>
        {
            var chain = Chain(Tokens(session % 20 * 1000, 512));
            index.Insert(chain, int.MaxValue);
            Assert.InRange(index.Match(chain), 0, chain.Length);
        });

        Assert.InRange(index.Count, 1, 2_000);
        Assert.Equal(512 / BlockSize, index.Match(Chain(Tokens(0, 512))));
    }

    private static ulong[] Chain(IReadOnlyList<int> tokens) => PrefixHashes.Compute(tokens, BlockSize);

    private static int[] Tokens(int start, int count) => [.. Enumerable.Range(start, count)];
}
