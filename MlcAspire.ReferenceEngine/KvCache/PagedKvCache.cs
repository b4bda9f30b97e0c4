namespace MlcAspire.ReferenceEngine.KvCache;

/// <summary>
/// The paged KV cache: fixed pages of <see cref="PageSize"/> token positions, each position one contiguous
/// row of K and V for every layer. A slot is <c>page * PageSize + offset</c>, the address that
/// <c>kv_append_metadata</c> carries (mlc-protocol.md §4.6).
/// </summary>
/// <remarks>
/// Owned by the engine loop: allocation, reference counts and reads happen on that loop only. The one
/// exception is <see cref="TryWriteReceivedRow"/>, called by the KV receiver for slots the loop reserved for
/// a parked <c>prep_recv</c>; nobody reads those slots until <c>start_generate</c> arrives through the loop's
/// channel, which orders the writes before any read.
/// </remarks>
internal sealed class PagedKvCache
{
    public const int PageSize = 16;

    private readonly float[] _data;
    private readonly int[] _refCount;
    private readonly bool[] _receivable;
    private readonly Stack<int> _free;

    /// <exception cref="ArgumentOutOfRangeException">
    /// The cache would not fit in one array; <see cref="Serving.EngineLimits"/> refuses such a capacity at start, so every slot
    /// offset (<c>slot * RowFloats</c>) below fits an <c>int</c>.
    /// </exception>
    public PagedKvCache(int pageCount, int rowFloats)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((long)pageCount * PageSize * rowFloats, Array.MaxLength, nameof(pageCount));
        PageCount = pageCount;
        RowFloats = rowFloats;
        _data = new float[(long)pageCount * PageSize * rowFloats];
        _refCount = new int[pageCount];
        _receivable = new bool[pageCount * PageSize];
        _free = new Stack<int>(Enumerable.Range(0, pageCount).Reverse());
    }

    public int PageCount { get; }

    public int RowFloats { get; }

    public int FreePages => _free.Count;

    /// <summary>The raw storage, row-major by slot, for the model's inner loops.</summary>
    public float[] Storage => _data;

    public bool TryAllocate(out int page)
    {
        if (_free.TryPop(out page))
        {
            _refCount[page] = 1;
            return true;
        }

        return false;
    }

    public void AddRef(int page) => _refCount[page]++;

    public int RefCount(int page) => _refCount[page];

    public void Release(int page)
    {
        if (--_refCount[page] == 0)
        {
            ClearReceivable(page);
            _free.Push(page);
        }
    }

    public Span<float> Row(int slot) => _data.AsSpan(slot * RowFloats, RowFloats);

    public static int Slot(IReadOnlyList<int> pages, int position) => pages[position / PageSize] * PageSize + position % PageSize;

    public Span<float> Row(IReadOnlyList<int> pages, int position) => Row(Slot(pages, position));

    public void CopyRows(int sourcePage, int targetPage, int count) =>
        _data.AsSpan(sourcePage * PageSize * RowFloats, count * RowFloats).CopyTo(_data.AsSpan(targetPage * PageSize * RowFloats));

    /// <summary>Marks one slot as a target for a row pushed by a remote engine (a position of a reserved <c>prep_recv</c> window).</summary>
    public void SetReceivable(int slot) => Volatile.Write(ref _receivable[slot], true);

    /// <summary>Ends receiving into every slot of <paramref name="page"/> (its request started generating, or the page was freed).</summary>
    public void ClearReceivable(int page)
    {
        for (var slot = page * PageSize; slot < (page + 1) * PageSize; slot++)
        {
            Volatile.Write(ref _receivable[slot], false);
        }
    }

    /// <summary>Whether a remote engine may write <paramref name="slot"/>: it is in this cache and reserved by a parked <c>prep_recv</c>.</summary>
    public bool CanReceive(long slot) => slot >= 0 && slot < _receivable.Length && Volatile.Read(ref _receivable[slot]);

    /// <summary>
    /// Writes one row pushed by a remote engine. Like NVSHMEM, any reserved slot accepts any row: which request the
    /// slot belongs to is not checked. Unlike NVSHMEM, a slot that no parked <c>prep_recv</c> reserved is refused,
    /// even in a page that holds reserved ones (a copied prefix, or the positions past <c>end</c>), so a misaddressed
    /// transfer cannot corrupt a running sequence or a cached prefix.
    /// </summary>
    public bool TryWriteReceivedRow(long slot, ReadOnlySpan<float> row)
    {
        if (!CanReceive(slot) || row.Length != RowFloats)
        {
            return false;
        }

        row.CopyTo(Row((int)slot));
        return true;
    }
}
