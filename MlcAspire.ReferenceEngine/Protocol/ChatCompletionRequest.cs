using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlcAspire.ReferenceEngine.Protocol;

/// <summary>MLC's <c>ChatCompletionRequest</c>. Unknown keys are ignored, as pydantic's default does.</summary>
internal sealed record ChatCompletionRequest : SamplingRequest
{
    /// <summary>The conversation, read by <see cref="MlcAspire.Models.Chat.ChatMessageReader"/>.</summary>
    [JsonPropertyName("messages")]
    public JsonElement Messages { get; init; }

    [JsonPropertyName("logprobs")]
    public bool Logprobs { get; init; }

    [JsonPropertyName("top_logprobs")]
    public int TopLogprobs { get; init; }

    /// <summary>A list of <c>{"type":"function","function":{…}}</c>; kept as JSON.</summary>
    [JsonPropertyName("tools")]
    public JsonElement Tools { get; init; }

    /// <summary><c>"none"</c>, <c>"auto"</c> or <c>{"type":"function","function":{"name":…}}</c>.</summary>
    [JsonPropertyName("tool_choice")]
    public JsonElement ToolChoice { get; init; }
}
