namespace MlcAspire.ReferenceEngine.KvCache;

/// <summary>The page table of one sequence: page <c>i</c> holds positions <c>16i … 16i+15</c>.</summary>
internal sealed class SequencePages(PagedKvCache cache)
{
    private readonly List<int> _pages = [];

    public IReadOnlyList<int> Pages => _pages;

    public int Capacity => _pages.Count * PagedKvCache.PageSize;

    public void Adopt(int page) => _pages.Add(page);

    /// <summary>Allocates pages until <paramref name="positions"/> positions fit; false when the cache is out of pages.</summary>
    public bool TryEnsureCapacity(int positions)
    {
        while (Capacity < positions)
        {
            if (!cache.TryAllocate(out var page))
            {
                return false;
            }

            _pages.Add(page);
        }

        return true;
    }

    public static int PagesFor(int positions) => (positions + PagedKvCache.PageSize - 1) / PagedKvCache.PageSize;

    public void ReleaseAll()
    {
        foreach (var page in _pages)
        {
            cache.Release(page);
        }

        _pages.Clear();
    }
}
