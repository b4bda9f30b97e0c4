namespace MlcAspire.ReferenceEngine.Model;

/// <summary>
/// A tiny, portable pseudo-random generator. Weights and seeded sampling use it (never <see cref="Random"/>)
/// so that every process on every machine draws the same numbers from the same seed.
/// </summary>
internal sealed class SplitMix64(ulong seed)
{
    private ulong _state = seed;

    public ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A float in [-scale, scale).</summary>
    public float NextSymmetric(float scale) => (float)((NextDouble() * 2.0 - 1.0) * scale);
}
