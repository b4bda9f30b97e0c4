namespace MlcAspire.Router.Scheduling;

/// <summary>
/// What one engine probably holds in its prefix cache: a set of block hashes (<see cref="PrefixHashes"/>) with
/// least-recently-used eviction under a fixed number of blocks. Built from what the router sent to the engine and
/// corrected by what the engine reported (prep_recv's <c>prefix_matched_length</c>).
/// </summary>
/// <remarks>
/// One lock per engine and O(blocks) dictionary lookups per request. Memory is bounded up front: the dictionary and
/// the LRU arrays grow by doubling but never past <c>maxBlocks</c>, and the dictionary's capacity is raised by hand
/// before it fills so it never resizes on its own (which would overshoot to about twice the count).
/// A chain is touched from its last block to its first, so a parent is always more recent than its children and
/// eviction takes leaves first, as the engine's radix cache does.
/// </remarks>
public sealed class PrefixIndex
{
    /// <summary>Bytes per block at full capacity: a dictionary entry (24) and bucket (4), the key and two links (16), and slack.</summary>
    public const int BytesPerBlock = 48;

    private const int None = -1;
    private const int InitialCapacity = 256;

    private readonly Lock _lock = new();
    private readonly int _maxBlocks;
    private readonly Dictionary<ulong, int> _slots = new(InitialCapacity);
    private ulong[] _keys = new ulong[InitialCapacity];
    private int[] _older = new int[InitialCapacity];
    private int[] _newer = new int[InitialCapacity];
    private int _used;
    private int _free = None;
    private int _newest = None;
    private int _oldest = None;
    private long _lookedUpTokens;
    private long _matchedTokens;

    public PrefixIndex(int maxBlocks, int blockSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBlocks, 1);
        _maxBlocks = maxBlocks;
        BlockSize = blockSize;
    }

    public int BlockSize { get; }

    /// <summary>Blocks held now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _slots.Count;
            }
        }
    }

    /// <summary>Tokens held now (full blocks only).</summary>
    public long Tokens => (long)Count * BlockSize;

    /// <summary>The memory the index's arrays take now.</summary>
    public long ApproximateBytes
    {
        get
        {
            lock (_lock)
            {
                // EnsureCapacity(0) reads the capacity without growing it.
                return _slots.EnsureCapacity(0) * 28L + _keys.Length * 16L;
            }
        }
    }

    /// <summary>Share of the prompt tokens looked up for this engine's winning requests that it held (<see cref="RecordHit"/>).</summary>
    public double HitRate
    {
        get
        {
            lock (_lock)
            {
                return _lookedUpTokens == 0 ? 0 : (double)_matchedTokens / _lookedUpTokens;
            }
        }
    }

    /// <summary>How many leading blocks of the chain the engine holds; does not touch them.</summary>
    public int Match(ReadOnlySpan<ulong> chain)
    {
        lock (_lock)
        {
            var matched = 0;
            while (matched < chain.Length && _slots.ContainsKey(chain[matched]))
            {
                matched++;
            }

            return matched;
        }
    }

    /// <summary>Counts a request routed here: <paramref name="matchedTokens"/> of its <paramref name="promptTokens"/> were held.</summary>
    public void RecordHit(int matchedTokens, int promptTokens)
    {
        lock (_lock)
        {
            _matchedTokens += matchedTokens;
            _lookedUpTokens += promptTokens;
        }
    }

    /// <summary>Adds (or refreshes) the first <paramref name="blocks"/> blocks of the chain, evicting the least recently used beyond the cap.</summary>
    public void Insert(ReadOnlySpan<ulong> chain, int blocks)
    {
        blocks = Math.Min(blocks, chain.Length);
        lock (_lock)
        {
            for (var i = blocks - 1; i >= 0; i--)
            {
                if (_slots.TryGetValue(chain[i], out var slot))
                {
                    Unlink(slot);
                }
                else
                {
                    slot = Allocate();
                    _keys[slot] = chain[i];
                    _slots.Add(chain[i], slot);
                }

                LinkNewest(slot);
            }

            // Touching from the end inward left the chain's first block newest: its parent-before-child order holds.
        }
    }

    /// <summary>Forgets the chain's blocks from <paramref name="keepBlocks"/> on: the engine reported it holds less.</summary>
    public void Truncate(ReadOnlySpan<ulong> chain, int keepBlocks)
    {
        lock (_lock)
        {
            for (var i = Math.Max(0, keepBlocks); i < chain.Length; i++)
            {
                if (_slots.Remove(chain[i], out var slot))
                {
                    Unlink(slot);
                    Release(slot);
                }
            }
        }
    }

    /// <summary>
    /// Forgets <paramref name="hash"/> and every block less recently used than it: the engine evicted that block, and
    /// its cache evicts in least-recently-used order. Does nothing when the block is not held.
    /// </summary>
    public void EvictThrough(ulong hash)
    {
        lock (_lock)
        {
            if (!_slots.ContainsKey(hash))
            {
                return;
            }

            ulong evicted;
            do
            {
                var slot = _oldest;
                evicted = _keys[slot];
                _slots.Remove(evicted);
                Unlink(slot);
                Release(slot);
            }
            while (evicted != hash);
        }
    }

    private int Allocate()
    {
        if (_free != None)
        {
            var slot = _free;
            _free = _older[slot];
            return slot;
        }

        if (_used == _maxBlocks)
        {
            var victim = _oldest;
            _slots.Remove(_keys[victim]);
            Unlink(victim);
            return victim;
        }

        if (_used == _keys.Length)
        {
            var size = (int)Math.Min(_maxBlocks, (long)_keys.Length * 2);
            Array.Resize(ref _keys, size);
            Array.Resize(ref _older, size);
            Array.Resize(ref _newer, size);
        }

        if (_slots.Count == _slots.EnsureCapacity(0))
        {
            _slots.EnsureCapacity(Math.Min(_maxBlocks, _slots.Count * 2));
        }

        return _used++;
    }

    private void Release(int slot)
    {
        _older[slot] = _free;
        _free = slot;
    }

    private void LinkNewest(int slot)
    {
        _older[slot] = _newest;
        _newer[slot] = None;
        if (_newest != None)
        {
            _newer[_newest] = slot;
        }

        _newest = slot;
        if (_oldest == None)
        {
            _oldest = slot;
        }
    }

    private void Unlink(int slot)
    {
        var older = _older[slot];
        var newer = _newer[slot];
        if (older != None)
        {
            _newer[older] = newer;
        }
        else
        {
            _oldest = newer;
        }

        if (newer != None)
        {
            _older[newer] = older;
        }
        else
        {
            _newest = older;
        }
    }
}
