namespace MlcAspire.ReferenceEngine.Model;

/// <summary>Runs the model over token positions, reading and writing the KV cache through a page table.</summary>
internal interface IModelRunner
{
    /// <summary>
    /// Computes positions <c>startPosition … startPosition + tokens.Length − 1</c> of a sequence, writing their KV
    /// rows. When <paramref name="logits"/> is not empty, it receives the logits after the last token.
    /// </summary>
    void Forward(IReadOnlyList<int> pages, ReadOnlySpan<int> tokens, int startPosition, Span<float> logits);

    /// <summary>Called once per engine step with what the step computed (the timing model spends its time here).</summary>
    void EndStep(int prefillTokens, int decodeTokens);
}
