using System.Text.Json;

namespace MlcAspire.ReferenceEngine.Model;

/// <summary>The model-specific part of <c>mlc-chat-config.json</c> (<c>model_config</c>) for the reference models.</summary>
internal sealed record ModelShape(
    int VocabSize,
    int HiddenSize,
    int NumLayers,
    int NumHeads,
    int IntermediateSize,
    double RopeTheta,
    ulong Seed,
    TimingSchedule Timing)
{
    /// <summary>
    /// The vocabulary whose embedding rows are drawn first (<c>model_config.seed_vocab_size</c>, else all of it). Rows of
    /// tokens added later (ChatML's, ids 1024 and 1025) are drawn after every other weight, so adding a token to the
    /// tokenizer leaves every earlier weight, and so the model's outputs, as they were.
    /// </summary>
    public int SeedVocabSize { get; init; } = VocabSize;

    public int HeadDim => HiddenSize / NumHeads;

    /// <summary>Floats one token position occupies in the KV cache: K and V for every layer.</summary>
    public int KvRowFloats => NumLayers * 2 * HiddenSize;

    public static ModelShape FromModelConfig(JsonElement modelConfig, int vocabSize)
    {
        var shape = new ModelShape(
            vocabSize,
            GetInt(modelConfig, "hidden_size", 64),
            GetInt(modelConfig, "num_hidden_layers", 2),
            GetInt(modelConfig, "num_attention_heads", 4),
            GetInt(modelConfig, "intermediate_size", 256),
            modelConfig.TryGetProperty("rope_theta", out var theta) ? theta.GetDouble() : 10000.0,
            modelConfig.TryGetProperty("seed", out var seed) ? seed.GetUInt64() : 0,
            TimingSchedule.FromModelConfig(modelConfig))
        {
            SeedVocabSize = Math.Min(vocabSize, GetInt(modelConfig, "seed_vocab_size", vocabSize)),
        };
        if (shape.HiddenSize % shape.NumHeads != 0 || shape.HeadDim % 2 != 0)
        {
            throw new InvalidDataException("model_config: hidden_size must split into num_attention_heads heads of even size.");
        }

        return shape;
    }

    private static int GetInt(JsonElement element, string name, int fallback) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value.GetInt32() : fallback;
}

/// <summary>The schedule of the timing model (<c>model_type: "reference-timing"</c>); unused by the transformer.</summary>
internal sealed record TimingSchedule(double PrefillSecondsPerToken, double DecodeSecondsPerStep, double DecodeSlowdownDuringPrefill)
{
    /// <summary>
    /// The time of one engine step: its prefill tokens, plus one decode step for all its decoding sequences, slowed down
    /// by <see cref="DecodeSlowdownDuringPrefill"/> when a prefill shares the step (what disaggregation removes).
    /// </summary>
    public TimeSpan StepTime(int prefillTokens, int decodeTokens)
    {
        var seconds = prefillTokens * PrefillSecondsPerToken;
        if (decodeTokens > 0)
        {
            seconds += DecodeSecondsPerStep * (prefillTokens > 0 ? DecodeSlowdownDuringPrefill : 1.0);
        }

        return TimeSpan.FromSeconds(seconds);
    }

    public static TimingSchedule FromModelConfig(JsonElement modelConfig) => new(
        GetDouble(modelConfig, "prefill_seconds_per_token", 0.0002),
        GetDouble(modelConfig, "decode_seconds_per_step", 0.02),
        GetDouble(modelConfig, "decode_slowdown_during_prefill", 1.5));

    private static double GetDouble(JsonElement element, string name, double fallback) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value.GetDouble() : fallback;
}
