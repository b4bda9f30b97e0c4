using MlcAspire.ReferenceEngine.KvCache;
using MlcAspire.ReferenceEngine.Model;

namespace MlcAspire.ReferenceEngine.Serving;

/// <summary>One choice of a request: its tokens (prompt, then generated), its KV pages, its sampler and its text.</summary>
internal sealed class SequenceState(int index, List<int> tokens, SequencePages pages, SplitMix64 random, TextStream text)
{
    public int Index { get; } = index;

    public List<int> Tokens { get; } = tokens;

    public SequencePages Pages { get; } = pages;

    public SplitMix64 Random { get; } = random;

    public TextStream Text { get; } = text;

    /// <summary>Positions whose KV is computed (or received); the rest of <see cref="Tokens"/> is still to prefill.</summary>
    public int KvLength { get; set; }

    public int Generated { get; set; }

    public string? FinishReason { get; set; }
}
