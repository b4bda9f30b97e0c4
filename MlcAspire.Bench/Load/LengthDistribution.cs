namespace MlcAspire.Bench.Load;

/// <summary>A token-count distribution: uniform in [Min, Max] (Min == Max is a fixed length).</summary>
internal sealed record LengthDistribution(int Min, int Max)
{
    public static LengthDistribution Fixed(int length) => new(length, length);

    public int Next(Random random) => Min == Max ? Min : random.Next(Min, Max + 1);

    public override string ToString() => Min == Max ? $"{Min}" : $"U[{Min},{Max}]";
}
