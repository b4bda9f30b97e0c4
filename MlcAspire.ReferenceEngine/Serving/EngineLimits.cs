namespace MlcAspire.ReferenceEngine.Serving;

/// <summary>The engine's capacity and model facts the loop needs, resolved from the model config and <c>--overrides</c>.</summary>
internal sealed record EngineLimits(
    int VocabSize,
    int MaxNumSequence,
    int PrefillChunkSize,
    int MaxSequenceLength,
    int KvPages,
    IReadOnlyList<int> EosTokenIds,
    bool PrefixCacheEnabled);
