namespace MlcAspire.Bench.Measurement;

/// <summary>Mean and nearest-rank percentiles of a sorted copy of the values, in milliseconds.</summary>
internal sealed record Distribution(int Count, double Mean, double P50, double P90, double P99, double Max)
{
    public static readonly Distribution Empty = new(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);

    public static Distribution Of(double[] values)
    {
        if (values.Length == 0)
        {
            return Empty;
        }

        Array.Sort(values);
        return new(values.Length, values.Average(), Percentile(values, 50), Percentile(values, 90), Percentile(values, 99), values[^1]);
    }

    /// <summary>Nearest rank: the smallest value with at least p% of the values at or below it.</summary>
    public static double Percentile(double[] sorted, double p)
    {
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static double TicksToMs(double ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
