extern alias ReferenceEngine;

using ReferenceEngine::MlcAspire.ReferenceEngine.KvCache;
using ReferenceEngine::MlcAspire.ReferenceEngine.Model;

namespace MlcAspire.Tests.Unit.ReferenceEngine;

[Trait("Category", "Unit")]
public sealed class TransformerTests
{
    private static readonly ModelShape Shape = new(VocabSize: 300, HiddenSize: 32, NumLayers: 2, NumHeads: 4, IntermediateSize: 64,
        RopeTheta: 10000, Seed: 7, Timing: new TimingSchedule(0, 0, 1));

    [Fact]
    public void Forward_ChunkedOrWhole_GivesBitwiseEqualKvAndLogits()
    {
        var tokens = Enumerable.Range(0, 70).Select(i => i * 37 % 300).ToArray();
        var (wholeKv, wholeLogits) = Run(tokens, [70]);
        var (chunkedKv, chunkedLogits) = Run(tokens, [1, 16, 5, 31, 17]);

        Assert.Equal(wholeLogits, chunkedLogits);
        Assert.Equal(wholeKv, chunkedKv);
    }

    [Fact]
    public void Forward_DependsOnEarlierPositions()
    {
        var tokens = Enumerable.Range(0, 40).Select(i => i * 11 % 300).ToArray();
        var changed = (int[])tokens.Clone();
        changed[0] = (changed[0] + 1) % 300;

        Assert.NotEqual(Run(tokens, [40]).Logits, Run(changed, [40]).Logits);
    }

    [Fact]
    public void Weights_AreTheSameForTheSameSeed()
    {
        Assert.Equal(new TransformerWeights(Shape).Embedding, new TransformerWeights(Shape).Embedding);
        Assert.NotEqual(new TransformerWeights(Shape).Embedding, new TransformerWeights(Shape with { Seed = 8 }).Embedding);
    }

    private static (float[] Kv, float[] Logits) Run(int[] tokens, int[] chunks)
    {
        var cache = new PagedKvCache(16, Shape.KvRowFloats);
        var model = new Transformer(Shape, new TransformerWeights(Shape), cache, 256);
        var pages = new SequencePages(cache);
        Assert.True(pages.TryEnsureCapacity(tokens.Length));
        var logits = new float[Shape.VocabSize];
        var position = 0;
        foreach (var chunk in chunks)
        {
            model.Forward(pages.Pages, tokens.AsSpan(position, chunk), position, position + chunk == tokens.Length ? logits : default);
            position += chunk;
        }

        var kv = Enumerable.Range(0, tokens.Length).SelectMany(p => cache.Row(pages.Pages, p).ToArray()).ToArray();
        return (kv, logits);
    }
}
