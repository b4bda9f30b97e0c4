namespace MlcAspire.ReferenceEngine.Model;

/// <summary>Greedy and seeded temperature/top-p sampling over logits, deterministic for a given seed.</summary>
internal static class Sampler
{
    /// <summary>Temperatures at or below this are greedy, as in MLC.</summary>
    private const double GreedyTemperature = 1e-5;

    public static int Sample(ReadOnlySpan<float> logits, double temperature, double topP, SplitMix64 random)
    {
        if (temperature <= GreedyTemperature)
        {
            return ArgMax(logits);
        }

        var max = logits[ArgMax(logits)];
        var weights = new double[logits.Length];
        var total = 0.0;
        for (var i = 0; i < logits.Length; i++)
        {
            weights[i] = Math.Exp((logits[i] - max) / temperature);
            total += weights[i];
        }

        // Ties keep id order so the nucleus is the same in every process.
        var order = Enumerable.Range(0, logits.Length).OrderByDescending(i => weights[i]).ThenBy(i => i).ToArray();
        var nucleus = 0.0;
        var kept = 0;
        while (kept < order.Length && (kept == 0 || nucleus < topP * total))
        {
            nucleus += weights[order[kept++]];
        }

        var target = random.NextDouble() * nucleus;
        for (var i = 0; i < kept; i++)
        {
            target -= weights[order[i]];
            if (target < 0)
            {
                return order[i];
            }
        }

        return order[kept - 1];
    }

    /// <summary>Log-softmax of the raw logits, the log-probabilities MLC reports.</summary>
    public static double[] LogSoftmax(ReadOnlySpan<float> logits)
    {
        var max = logits[ArgMax(logits)];
        var sum = 0.0;
        foreach (var logit in logits)
        {
            sum += Math.Exp(logit - max);
        }

        var logSum = Math.Log(sum) + max;
        var result = new double[logits.Length];
        for (var i = 0; i < logits.Length; i++)
        {
            result[i] = logits[i] - logSum;
        }

        return result;
    }

    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }

        return best;
    }
}
