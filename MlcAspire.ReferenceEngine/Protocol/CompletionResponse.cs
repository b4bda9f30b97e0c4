using System.Text.Json.Serialization;

namespace MlcAspire.ReferenceEngine.Protocol;

/// <summary>A completion or one stream chunk (mlc-protocol.md §2.3); field order and nulls as MLC's pydantic dump.</summary>
internal sealed record CompletionResponse(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("choices")] IReadOnlyList<CompletionChoice> Choices,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("model")] string? Model,
    [property: JsonPropertyName("usage"), JsonPropertyOrder(2)] CompletionUsage? Usage)
{
    [JsonPropertyName("object")]
    [JsonPropertyOrder(1)]
    public string Object => "text_completion";
}

internal sealed record CompletionChoice(
    [property: JsonPropertyName("finish_reason")] string? FinishReason,
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("logprobs")] CompletionLogprobs? Logprobs,
    [property: JsonPropertyName("text")] string Text);

internal sealed record CompletionLogprobs(
    [property: JsonPropertyName("text_offset")] IReadOnlyList<int>? TextOffset,
    [property: JsonPropertyName("token_logprobs")] IReadOnlyList<double> TokenLogprobs,
    [property: JsonPropertyName("tokens")] IReadOnlyList<string> Tokens,
    [property: JsonPropertyName("top_logprobs")] IReadOnlyList<Dictionary<string, double>> TopLogprobs);

internal sealed record CompletionUsage(
    [property: JsonPropertyName("prompt_tokens")] int PromptTokens,
    [property: JsonPropertyName("completion_tokens")] int CompletionTokens,
    [property: JsonPropertyName("total_tokens")] int TotalTokens,
    [property: JsonPropertyName("extra")] UsageExtra? Extra);

/// <summary><c>usage.extra</c>, kept only under <c>--enable-debug</c>; the two rates appear only when nonzero.</summary>
internal sealed record UsageExtra(
    [property: JsonPropertyName("prompt_tokens")] int PromptTokens,
    [property: JsonPropertyName("completion_tokens")] int CompletionTokens,
    [property: JsonPropertyName("prefill_tokens")] int PrefillTokens,
    [property: JsonPropertyName("decode_tokens")] int DecodeTokens,
    [property: JsonPropertyName("jump_forward_tokens")] int JumpForwardTokens,
    [property: JsonPropertyName("prefill_tokens_per_s"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? PrefillTokensPerSecond,
    [property: JsonPropertyName("decode_tokens_per_s"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? DecodeTokensPerSecond,
    [property: JsonPropertyName("end_to_end_latency_s")] double EndToEndLatencySeconds,
    [property: JsonPropertyName("ttft_s")] double TimeToFirstTokenSeconds,
    [property: JsonPropertyName("inter_token_latency_s")] double InterTokenLatencySeconds);
