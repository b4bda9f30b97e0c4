namespace MlcAspire.ReferenceEngine.Model;

/// <summary>
/// The reference transformer's float32 weights, drawn from <see cref="ModelShape.Seed"/> in a fixed order so
/// every process builds the same model.
/// </summary>
internal sealed class TransformerWeights
{
    public TransformerWeights(ModelShape shape)
    {
        var random = new SplitMix64(shape.Seed);
        var hidden = shape.HiddenSize;
        var inner = shape.IntermediateSize;

        // The tied embedding doubles as the output head.
        Embedding = new float[shape.VocabSize * hidden];
        Fill(random, Embedding.AsSpan(0, shape.SeedVocabSize * hidden), 1.0f);
        Layers = new LayerWeights[shape.NumLayers];
        for (var i = 0; i < Layers.Length; i++)
        {
            // Query/key weights are drawn wider than 1/sqrt(fan_in) so attention is sharp and every output
            // depends visibly on earlier positions; the residual writes (Wo, W2) dominate the token's own
            // embedding so the next token is not just a copy of the current one.
            Layers[i] = new LayerWeights(
                AttentionNorm: Ones(hidden),
                Wq: Draw(random, hidden * hidden, 3.0f * MathF.Sqrt(3.0f / hidden)),
                Wk: Draw(random, hidden * hidden, 3.0f * MathF.Sqrt(3.0f / hidden)),
                Wv: Draw(random, hidden * hidden, MathF.Sqrt(3.0f / hidden)),
                Wo: Draw(random, hidden * hidden, 2.0f * MathF.Sqrt(3.0f / hidden)),
                MlpNorm: Ones(hidden),
                WGate: Draw(random, inner * hidden, MathF.Sqrt(3.0f / hidden)),
                WUp: Draw(random, inner * hidden, MathF.Sqrt(3.0f / hidden)),
                WDown: Draw(random, hidden * inner, 2.0f * MathF.Sqrt(3.0f / inner)));
        }

        FinalNorm = Ones(hidden);
        Fill(random, Embedding.AsSpan(shape.SeedVocabSize * hidden), 1.0f);
    }

    public float[] Embedding { get; }

    public LayerWeights[] Layers { get; }

    public float[] FinalNorm { get; }

    private static float[] Draw(SplitMix64 random, int count, float scale)
    {
        var values = new float[count];
        Fill(random, values, scale);
        return values;
    }

    private static void Fill(SplitMix64 random, Span<float> values, float scale)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = random.NextSymmetric(scale);
        }
    }

    private static float[] Ones(int count) => Enumerable.Repeat(1.0f, count).ToArray();
}

internal sealed record LayerWeights(
    float[] AttentionNorm, float[] Wq, float[] Wk, float[] Wv, float[] Wo,
    float[] MlpNorm, float[] WGate, float[] WUp, float[] WDown);
