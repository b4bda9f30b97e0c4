namespace MlcAspire.Models;

/// <summary>
/// The buffers one encoding reuses for every pre-token it merges: the symbol list and the heap of candidate
/// merges, grown to the longest pre-token and no further. It also counts the heap's operations, so tests can bound
/// the work of an input by counting rather than by timing.
/// </summary>
internal sealed class MergeWorkspace
{
    private long[] _heap = [];
    private int _heapCount;

    public int[] Ids { get; private set; } = [];

    public int[] Lengths { get; private set; } = [];

    public int[] Previous { get; private set; } = [];

    public int[] Next { get; private set; } = [];

    /// <summary>Pushes plus pops, over every pre-token merged with this workspace.</summary>
    public long HeapOperations { get; private set; }

    public void Reset(int symbols)
    {
        if (Ids.Length < symbols)
        {
            var capacity = Math.Max(symbols, 2 * Ids.Length);
            Ids = new int[capacity];
            Lengths = new int[capacity];
            Previous = new int[capacity];
            Next = new int[capacity];
        }

        _heapCount = 0;
    }

    /// <summary>Adds a candidate; candidates leave in (rank, position) order, the library's order.</summary>
    public void Push(int rank, int position)
    {
        HeapOperations++;
        if (_heapCount == _heap.Length)
        {
            Array.Resize(ref _heap, Math.Max(16, 2 * _heap.Length));
        }

        var key = ((long)rank << 32) | (uint)position;
        var child = _heapCount++;
        while (child > 0)
        {
            var parent = (child - 1) / 2;
            if (_heap[parent] <= key)
            {
                break;
            }

            _heap[child] = _heap[parent];
            child = parent;
        }

        _heap[child] = key;
    }

    public bool TryPop(out int rank, out int position)
    {
        if (_heapCount == 0)
        {
            rank = position = 0;
            return false;
        }

        HeapOperations++;
        var top = _heap[0];
        var last = _heap[--_heapCount];
        var parent = 0;
        while (true)
        {
            var child = 2 * parent + 1;
            if (child >= _heapCount)
            {
                break;
            }

            if (child + 1 < _heapCount && _heap[child + 1] < _heap[child])
            {
                child++;
            }

            if (last <= _heap[child])
            {
                break;
            }

            _heap[parent] = _heap[child];
            parent = child;
        }

        _heap[parent] = last;
        rank = (int)(top >> 32);
        position = (int)(uint)top;
        return true;
    }
}
