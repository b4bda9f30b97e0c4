using System.Text.Json.Serialization;

namespace MlcAspire.ReferenceEngine.Protocol;

/// <summary>
/// A chat completion (<c>chat.completion</c>, choices with a message) or one SSE chunk of a streamed one
/// (<c>chat.completion.chunk</c>, choices with a delta); field order and nulls as MLC's pydantic dump.
/// </summary>
internal sealed record ChatCompletionResponse<TChoice>(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("choices")] IReadOnlyList<TChoice> Choices,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("model")] string? Model,
    [property: JsonPropertyName("system_fingerprint")] string SystemFingerprint,
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("usage")] CompletionUsage? Usage)
{
    public const string Completion = "chat.completion";
    public const string Chunk = "chat.completion.chunk";
}

internal sealed record ChatChoice(
    [property: JsonPropertyName("finish_reason")] string? FinishReason,
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("message")] ChatMessageBody Message,
    [property: JsonPropertyName("logprobs")] ChatLogprobs? Logprobs);

internal sealed record ChatChunkChoice(
    [property: JsonPropertyName("finish_reason")] string? FinishReason,
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("delta")] ChatMessageBody Delta,
    [property: JsonPropertyName("logprobs")] ChatLogprobs? Logprobs);

/// <summary>MLC's <c>ChatCompletionMessage</c>, every field written.</summary>
internal sealed record ChatMessageBody(
    [property: JsonPropertyName("content")] string? Content,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("tool_calls")] IReadOnlyList<ChatToolCall>? ToolCalls,
    [property: JsonPropertyName("tool_call_id")] string? ToolCallId)
{
    public static ChatMessageBody Assistant(string? content) => new(content, "assistant", null, null, null);
}

internal sealed record ChatToolCall(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("function")] ChatFunctionCall Function);

internal sealed record ChatFunctionCall(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("arguments")] System.Text.Json.Nodes.JsonObject? Arguments);

internal sealed record ChatLogprobs([property: JsonPropertyName("content")] IReadOnlyList<ChatTokenLogprob> Content);

internal sealed record ChatTokenLogprob(
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("logprob")] double Logprob,
    [property: JsonPropertyName("bytes")] IReadOnlyList<int>? Bytes,
    [property: JsonPropertyName("top_logprobs")] IReadOnlyList<ChatTopLogprob> TopLogprobs);

internal sealed record ChatTopLogprob(
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("logprob")] double Logprob,
    [property: JsonPropertyName("bytes")] IReadOnlyList<int>? Bytes);
