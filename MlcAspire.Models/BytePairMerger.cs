namespace MlcAspire.Models;

/// <summary>
/// Applies a byte-level BPE vocabulary's merges to one pre-token. Candidate merges wait in a min-heap ordered by
/// (rank, position) over a doubly linked list of symbols, which is Hugging Face tokenizers' <c>Word::merge_all</c>
/// and Microsoft.ML.Tokenizers' <c>Word.MergeAll</c> step for step, so the ids are theirs. Each merge pushes at
/// most two candidates, so a pre-token of n bytes costs at most 3n pushes and as many pops: O(n log n). (The
/// library's version then deletes each merged-away symbol from an array one by one, which is quadratic in n:
/// 100,000 copies of a character that merges with itself took seconds.)
/// </summary>
internal sealed class BytePairMerger
{
    private readonly int[] _byteIds;
    private readonly Dictionary<long, int> _ranks = [];
    private readonly int[] _mergedIds;

    /// <param name="byteIds">The id of each byte's one-character token, or -1 where the vocabulary has none (the byte is then dropped, as the library drops it).</param>
    /// <param name="merges">The merges in rank order: the ids of the left and right token and of their concatenation.</param>
    public BytePairMerger(int[] byteIds, IReadOnlyList<(int Left, int Right, int Merged)> merges)
    {
        _byteIds = byteIds;
        _mergedIds = new int[merges.Count];
        for (var rank = 0; rank < merges.Count; rank++)
        {
            _ranks.TryAdd(Key(merges[rank].Left, merges[rank].Right), rank);
            _mergedIds[rank] = merges[rank].Merged;
        }
    }

    /// <summary>Whether every byte has a token, so every input byte ends up in some token.</summary>
    public bool CoversEveryByte => Array.IndexOf(_byteIds, -1) < 0;

    /// <summary>
    /// Merges <paramref name="bytes"/> into tokens; their ids and byte lengths are the first entries (as many as
    /// returned) of <see cref="MergeWorkspace.Ids"/> and <see cref="MergeWorkspace.Lengths"/>.
    /// </summary>
    public int Merge(ReadOnlySpan<byte> bytes, MergeWorkspace workspace)
    {
        workspace.Reset(bytes.Length);
        var ids = workspace.Ids;
        var lengths = workspace.Lengths;
        var previous = workspace.Previous;
        var next = workspace.Next;

        var count = 0;
        foreach (var value in bytes)
        {
            if (_byteIds[value] is var id and >= 0)
            {
                ids[count] = id;
                lengths[count] = 1;
                previous[count] = count - 1;
                next[count] = count + 1;
                count++;
            }
        }

        if (count == 0)
        {
            return 0;
        }

        next[count - 1] = -1;
        for (var i = 0; i + 1 < count; i++)
        {
            if (_ranks.TryGetValue(Key(ids[i], ids[i + 1]), out var rank))
            {
                workspace.Push(rank, i);
            }
        }

        while (workspace.TryPop(out var rank, out var position))
        {
            // A candidate is stale once either symbol has changed; like the library, it still applies when the pair
            // now there merges into the same token.
            var right = next[position];
            if (lengths[position] == 0 || right < 0
                || !_ranks.TryGetValue(Key(ids[position], ids[right]), out var current) || _mergedIds[current] != _mergedIds[rank])
            {
                continue;
            }

            ids[position] = _mergedIds[rank];
            lengths[position] += lengths[right];
            lengths[right] = 0;
            next[position] = next[right];
            if (next[position] >= 0)
            {
                previous[next[position]] = position;
            }

            if (previous[position] >= 0 && _ranks.TryGetValue(Key(ids[previous[position]], ids[position]), out var leftRank))
            {
                workspace.Push(leftRank, previous[position]);
            }

            if (next[position] >= 0 && _ranks.TryGetValue(Key(ids[position], ids[next[position]]), out var rightRank))
            {
                workspace.Push(rightRank, position);
            }
        }

        // Merges only ever remove the right symbol, so the first one survives and the list compacts in place.
        var written = 0;
        for (var i = 0; i >= 0; i = next[i])
        {
            ids[written] = ids[i];
            lengths[written] = lengths[i];
            written++;
        }

        return written;
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;
}
