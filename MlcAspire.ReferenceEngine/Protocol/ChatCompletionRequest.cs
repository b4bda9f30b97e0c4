using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlcAspire.ReferenceEngine.Protocol;

/// <summary>MLC's <c>ChatCompletionRequest</c>. Unknown keys are ignored, as pydantic's default does.</summary>
internal sealed record ChatCompletionRequest : ISamplingRequest
{
    /// <summary>The conversation, read by <see cref="MlcAspire.Models.Chat.ChatMessageReader"/>.</summary>
    [JsonPropertyName("messages")]
    public JsonElement Messages { get; init; }

    [JsonPropertyName("model")]
    public string? Model { get; init; }

    [JsonPropertyName("frequency_penalty")]
    public double? FrequencyPenalty { get; init; }

    [JsonPropertyName("presence_penalty")]
    public double? PresencePenalty { get; init; }

    [JsonPropertyName("logprobs")]
    public bool Logprobs { get; init; }

    [JsonPropertyName("top_logprobs")]
    public int TopLogprobs { get; init; }

    [JsonPropertyName("logit_bias")]
    public Dictionary<string, double>? LogitBias { get; init; }

    [JsonPropertyName("max_tokens")]
    public int? MaxTokens { get; init; }

    [JsonPropertyName("n")]
    public int? N { get; init; }

    [JsonIgnore]
    public int ChoiceCount => N ?? 1;

    [JsonPropertyName("seed")]
    public long? Seed { get; init; }

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

    /// <summary>A list of <c>{"type":"function","function":{…}}</c>; kept as JSON.</summary>
    [JsonPropertyName("tools")]
    public JsonElement Tools { get; init; }

    /// <summary><c>"none"</c>, <c>"auto"</c> or <c>{"type":"function","function":{"name":…}}</c>.</summary>
    [JsonPropertyName("tool_choice")]
    public JsonElement ToolChoice { get; init; }

    [JsonPropertyName("user")]
    public string? User { get; init; }

    [JsonPropertyName("response_format")]
    public JsonElement ResponseFormat { get; init; }

    [JsonPropertyName("debug_config")]
    public DebugConfig? DebugConfig { get; init; }
}
