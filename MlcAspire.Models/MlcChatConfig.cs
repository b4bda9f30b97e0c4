using System.Text.Json;
using System.Text.Json.Serialization;
using MlcAspire.Models.Chat;

namespace MlcAspire.Models;

/// <summary>
/// The fields of an MLC model's <c>mlc-chat-config.json</c> that serving needs. Unknown fields are ignored,
/// as MLC itself ignores them; model-specific settings stay in <see cref="ModelConfig"/>.
/// </summary>
public sealed record MlcChatConfig
{
    /// <summary>The architecture, e.g. <c>llama</c>, or <c>reference-tiny</c> / <c>reference-timing</c> for the reference engine.</summary>
    [JsonPropertyName("model_type")]
    public string ModelType { get; init; } = "";

    /// <summary>The architecture's own settings (hidden size, layers, heads, seed, timing…), kept as raw JSON.</summary>
    [JsonPropertyName("model_config")]
    public JsonElement ModelConfig { get; init; }

    [JsonPropertyName("vocab_size")]
    public int VocabSize { get; init; }

    /// <summary>The longest sequence (prompt plus output) the model accepts.</summary>
    [JsonPropertyName("context_window_size")]
    public int ContextWindowSize { get; init; }

    [JsonPropertyName("prefill_chunk_size")]
    public int PrefillChunkSize { get; init; }

    [JsonPropertyName("tensor_parallel_shards")]
    public int TensorParallelShards { get; init; } = 1;

    [JsonPropertyName("pipeline_parallel_stages")]
    public int PipelineParallelStages { get; init; } = 1;

    [JsonPropertyName("temperature")]
    public double Temperature { get; init; } = 1.0;

    [JsonPropertyName("top_p")]
    public double TopP { get; init; } = 1.0;

    [JsonPropertyName("tokenizer_files")]
    public IReadOnlyList<string> TokenizerFiles { get; init; } = [];

    [JsonPropertyName("bos_token_id")]
    public int? BosTokenId { get; init; }

    /// <summary>MLC writes a single id or a list (Llama 3 has two); both read as a list.</summary>
    [JsonPropertyName("eos_token_id")]
    [JsonConverter(typeof(OneOrManyIntConverter))]
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    [JsonPropertyName("pad_token_id")]
    public int? PadTokenId { get; init; }

    /// <summary>How chat requests become a prompt, and the stops every request gets; null when the file has none.</summary>
    [JsonPropertyName("conv_template")]
    public ConversationTemplate? ConversationTemplate { get; init; }
}
