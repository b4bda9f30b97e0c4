using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlcAspire.ReferenceEngine.Protocol;

/// <summary>The fields MLC's completion and chat requests share, validated and resolved the same way.</summary>
internal abstract record SamplingRequest
{
    [JsonPropertyName("model")]
    public string? Model { get; init; }

    [JsonPropertyName("frequency_penalty")]
    public double? FrequencyPenalty { get; init; }

    [JsonPropertyName("presence_penalty")]
    public double? PresencePenalty { get; init; }

    [JsonPropertyName("logit_bias")]
    public Dictionary<string, double>? LogitBias { get; init; }

    [JsonPropertyName("max_tokens")]
    public int? MaxTokens { get; init; }

    /// <summary>Null means MLC's default, 1. (Defaults live in the readers: the source generator resets init-only initialisers.)</summary>
    [JsonPropertyName("n")]
    public int? N { get; init; }

    [JsonIgnore]
    public int ChoiceCount => N ?? 1;

    [JsonPropertyName("seed")]
    public long? Seed { get; init; }

    /// <summary>A string, a list of strings, or null.</summary>
    [JsonPropertyName("stop")]
    public JsonElement Stop { get; init; }

    [JsonPropertyName("stream")]
    public bool Stream { get; init; }

    [JsonPropertyName("stream_options")]
    public StreamOptions? StreamOptions { get; init; }

    [JsonPropertyName("temperature")]
    public double? Temperature { get; init; }

    [JsonPropertyName("top_p")]
    public double? TopP { get; init; }

    /// <summary>The engine's request id when given (mlc-protocol.md §2.2).</summary>
    [JsonPropertyName("user")]
    public string? User { get; init; }

    [JsonPropertyName("response_format")]
    public JsonElement ResponseFormat { get; init; }

    [JsonPropertyName("debug_config")]
    public DebugConfig? DebugConfig { get; init; }
}
