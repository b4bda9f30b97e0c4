namespace MlcAspire.ReferenceEngine.KvCache;

/// <summary>
/// The paged KV cache: fixed pages of <see cref="PageSize"/> token positions, each position one contiguous
/// row of K and V for every layer. A slot is <c>page * PageSize + offset</c>, the address that
/// <c>kv_append_metadata</c> carries (spec §4.6).
/// </summary>
/// <remarks>
/// Owned by the engine loop: allocation, reference counts and reads happen on that loop only. The one
/// exception is <see cref="TryWriteReceivedRow"/>, called by the KV receiver for pages the loop reserved for
/// a parked <c>prep_recv</c>; nobody reads those pages until <c>start_generate</c> arrives through the loop's
/// channel, which orders the writes before any read.
/// </remarks>
internal sealed class PagedKvCache
{
    public const int PageSize = 16;

    private readonly float[] _data;
    private readonly int[] _refCount;
    private readonly int[] _receivable;
    private readonly Stack<int> _free;

    public PagedKvCache(int pageCount, int rowFloats)
    {
        PageCount = pageCount;
        RowFloats = rowFloats;
        _data = new float[(long)pageCount * PageSize * rowFloats];
        _refCount = new int[pageCount];
        _receivable = new int[pageCount];
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
            Volatile.Write(ref _receivable[page], 0);
            _free.Push(page);
        }
    }

    public Span<float> Row(int slot) => _data.AsSpan(slot * RowFloats, RowFloats);

    public static int Slot(IReadOnlyList<int> pages, int position) => pages[position / PageSize] * PageSize + position % PageSize;

    public Span<float> Row(IReadOnlyList<int> pages, int position) => Row(Slot(pages, position));

    public void CopyRows(int sourcePage, int targetPage, int count) =>
        _data.AsSpan(sourcePage * PageSize * RowFloats, count * RowFloats).CopyTo(_data.AsSpan(targetPage * PageSize * RowFloats));

    /// <summary>Marks a page as a target for rows pushed by a remote engine (a reserved <c>prep_recv</c> window).</summary>
    public void SetReceivable(int page, bool receivable)
    {
        if (receivable)
        {
            _data.AsSpan(page * PageSize * RowFloats, PageSize * RowFloats).Clear();
        }

        Volatile.Write(ref _receivable[page], receivable ? 1 : 0);
    }

    /// <summary>
    /// Writes one row pushed by a remote engine. Unlike NVSHMEM, rows aimed at pages that are not reserved for
    /// receiving are refused, so a misaddressed transfer cannot corrupt live sequences.
    /// </summary>
    public bool TryWriteReceivedRow(long slot, ReadOnlySpan<float> row)
    {
        if (slot < 0 || slot >= (long)PageCount * PageSize || row.Length != RowFloats
            || Volatile.Read(ref _receivable[slot / PageSize]) == 0)
        {
            return false;
        }

        row.CopyTo(Row((int)slot));
        return true;
    }
}
