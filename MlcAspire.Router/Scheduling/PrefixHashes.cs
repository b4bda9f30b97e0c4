namespace MlcAspire.Router.Scheduling;

/// <summary>
/// A prompt as a chain of block hashes: block <c>i</c> covers tokens <c>[i·B, (i+1)·B)</c> and its hash covers every
/// token before it too, so two prompts share block <c>i</c>'s hash only if they share the whole prefix up to its end.
/// That is what an engine's radix cache can reuse, and it lets the index store one 64-bit key per block instead of
/// a tree of token arrays.
/// </summary>
/// <remarks>Only full blocks count: an engine shares whole KV pages, and a partial page is recomputed anyway.</remarks>
public static class PrefixHashes
{
    private const ulong Seed = 0x9E3779B97F4A7C15;

    /// <summary>The hashes of the full blocks of <paramref name="tokens"/>, in order.</summary>
    public static ulong[] Compute(IReadOnlyList<int> tokens, int blockSize)
    {
        var hashes = new ulong[tokens.Count / blockSize];
        var hash = Seed;
        for (var block = 0; block < hashes.Length; block++)
        {
            var start = block * blockSize;
            for (var i = start; i < start + blockSize; i++)
            {
                hash = Mix(hash ^ (uint)tokens[i]);
            }

            hashes[block] = hash;
        }

        return hashes;
    }

    /// <summary>SplitMix64's finalizer: every input bit reaches every output bit, so chained blocks do not collide by structure.</summary>
    private static ulong Mix(ulong value)
    {
        value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9;
        value = (value ^ (value >> 27)) * 0x94D049BB133111EB;
        return value ^ (value >> 31);
    }
}
