namespace MlcAspire.ReferenceEngine.KvCache;

/// <summary>
/// A radix tree over token ids whose edges are KV pages: every node holds the tokens of one page (a full page
/// of 16, or a shorter leaf) and keeps that page alive with its own reference. Finished sequences are
/// recycled into it; a new sequence shares the full pages of its longest match and copies the rows of a
/// partially matched page. Leaves no sequence uses are evicted, least recently used first.
/// </summary>
internal sealed class RadixPrefixCache(PagedKvCache cache)
{
    private readonly Node _root = new([], -1, null);
    private long _clock;

    /// <summary>Pages that only the tree holds: what eviction can give back.</summary>
    public int EvictablePages { get; private set; }

    /// <summary>
    /// Finds the longest cached prefix of <paramref name="tokens"/> no longer than <paramref name="maxLength"/>
    /// and gives it to <paramref name="target"/> (shared full pages, a copied partial page).
    /// </summary>
    /// <returns>The number of positions whose KV the target now holds.</returns>
    public int MatchInto(ReadOnlySpan<int> tokens, int maxLength, SequencePages target)
    {
        var node = _root;
        var matched = 0;
        var stamp = ++_clock;
        while (matched < maxLength)
        {
            var remaining = tokens.Slice(matched, Math.Min(PagedKvCache.PageSize, maxLength - matched));
            var (best, common) = BestChild(node, remaining);
            if (best is null || common == 0)
            {
                break;
            }

            best.LastUsed = stamp;
            if (common == PagedKvCache.PageSize)
            {
                Share(best.Page, target);
                matched += common;
                node = best;
                continue;
            }

            if (!cache.TryAllocate(out var copy))
            {
                break;
            }

            cache.CopyRows(best.Page, copy, common);
            target.Adopt(copy);
            matched += common;
            break;
        }

        return matched;
    }

    /// <summary>Recycles a finished sequence: its first <paramref name="length"/> positions become cached.</summary>
    public void Insert(ReadOnlySpan<int> tokens, int length, IReadOnlyList<int> pages)
    {
        var node = _root;
        var stamp = ++_clock;
        for (var start = 0; start < length; start += PagedKvCache.PageSize)
        {
            var block = tokens.Slice(start, Math.Min(PagedKvCache.PageSize, length - start));
            Node? existing = null;
            foreach (var child in node.Children)
            {
                if (block.SequenceEqual(child.Tokens))
                {
                    existing = child;
                    break;
                }
            }

            if (existing is null)
            {
                existing = new Node(block.ToArray(), pages[start / PagedKvCache.PageSize], node);
                cache.AddRef(existing.Page);
                node.Children.Add(existing);
            }

            existing.LastUsed = stamp;
            if (existing.Tokens.Length < PagedKvCache.PageSize)
            {
                break;
            }

            node = existing;
        }

        RecountEvictable();
    }

    /// <summary>Evicts unused leaves until <paramref name="pages"/> pages are free or nothing is left to evict.</summary>
    public void EvictUntilFree(int pages)
    {
        while (cache.FreePages < pages)
        {
            var victim = Leaves(_root).Where(leaf => cache.RefCount(leaf.Page) == 1).MinBy(leaf => leaf.LastUsed);
            if (victim is null)
            {
                break;
            }

            victim.Parent!.Children.Remove(victim);
            cache.Release(victim.Page);
        }

        RecountEvictable();
    }

    /// <summary>Recomputes <see cref="EvictablePages"/>; call after sequences released pages the tree shares.</summary>
    public void RecountEvictable() => EvictablePages = All(_root).Count(node => cache.RefCount(node.Page) == 1);

    private void Share(int page, SequencePages target)
    {
        cache.AddRef(page);
        target.Adopt(page);
    }

    private static (Node? Best, int Common) BestChild(Node node, ReadOnlySpan<int> remaining)
    {
        Node? best = null;
        var bestCommon = 0;
        foreach (var child in node.Children)
        {
            var common = remaining.CommonPrefixLength(child.Tokens);
            if (common > bestCommon)
            {
                (best, bestCommon) = (child, common);
            }
        }

        return (best, bestCommon);
    }

    private static IEnumerable<Node> Leaves(Node node) => All(node).Where(n => n.Children.Count == 0);

    /// <summary>Every node below <paramref name="node"/>, iteratively: a long sequence makes the tree hundreds of levels deep.</summary>
    private static IEnumerable<Node> All(Node node)
    {
        var pending = new Stack<Node>(node.Children);
        while (pending.TryPop(out var next))
        {
            yield return next;
            foreach (var child in next.Children)
            {
                pending.Push(child);
            }
        }
    }

    private sealed class Node(int[] tokens, int page, Node? parent)
    {
        public int[] Tokens { get; } = tokens;

        public int Page { get; } = page;

        public Node? Parent { get; } = parent;

        public List<Node> Children { get; } = [];

        public long LastUsed { get; set; }
    }
}
