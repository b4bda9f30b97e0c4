using System.Text.Json;

namespace MlcAspire.Models.Chat;

/// <summary>
/// Reads a chat request's <c>messages</c> and applies the rules MLC's engine checks before rendering
/// (<c>ChatCompletionRequest.check_message_validity</c>): a system message only first, list content only from the
/// user, <c>tool_call_id</c> only on tool messages, no assistant <c>tool_calls</c>. The router and the reference
/// engine share it, so both refuse the same conversations.
/// </summary>
public static class ChatMessageReader
{
    private static readonly string[] KnownRoles = [ChatMessage.System, ChatMessage.User, ChatMessage.Assistant, ChatMessage.Tool];

    public static (IReadOnlyList<ChatMessage>? Messages, ChatRequestError? Error) Read(JsonElement messages)
    {
        var shapeError = messages.ValueKind switch
        {
            JsonValueKind.Undefined or JsonValueKind.Null => "'messages' is required.",
            not JsonValueKind.Array => "'messages' must be a list of messages.",
            _ when messages.GetArrayLength() == 0 => "'messages' must hold at least one message.",
            _ => null,
        };
        if (shapeError is not null)
        {
            return (null, new ChatRequestError(shapeError, "messages", IsSchemaError: true));
        }

        var read = new List<ChatMessage>(messages.GetArrayLength());
        var position = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var (parsed, error) = ReadMessage(message, position++);
            if (error is not null)
            {
                return (null, error);
            }

            read.Add(parsed!);
        }

        return (read, null);
    }

    private static (ChatMessage?, ChatRequestError?) ReadMessage(JsonElement message, int i)
    {
        var at = $"messages[{i}]";
        if (message.ValueKind != JsonValueKind.Object)
        {
            return Fail($"'{at}' must be an object with a role and content.", at, schema: true);
        }

        var role = message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : null;
        if (role is null || !KnownRoles.Contains(role))
        {
            return Fail($"'{at}.role' must be one of 'system', 'user', 'assistant' or 'tool'.", $"{at}.role", schema: true);
        }

        if (role == ChatMessage.System && i != 0)
        {
            return Fail($"System prompt at position {i} in the message list is invalid.", $"{at}.role", schema: false);
        }

        if (message.TryGetProperty("tool_call_id", out var callId) && callId.ValueKind != JsonValueKind.Null && role != ChatMessage.Tool)
        {
            return Fail("Non-tool message having `tool_call_id` is invalid.", $"{at}.tool_call_id", schema: false);
        }

        if (message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind != JsonValueKind.Null)
        {
            return Fail(role == ChatMessage.Assistant
                ? "Assistant message having `tool_calls` is not supported yet."
                : "Non-assistant message having `tool_calls` is invalid.", $"{at}.tool_calls", schema: false);
        }

        if (message.TryGetProperty("name", out var name) && name.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
        {
            return Fail($"'{at}.name' must be a string.", $"{at}.name", schema: true);
        }

        var content = message.TryGetProperty("content", out var c) ? c : default;
        switch (content.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                return (new ChatMessage(role, (IReadOnlyList<string>?)null), null);
            case JsonValueKind.String:
                return (new ChatMessage(role, content.GetString()!), null);
            case JsonValueKind.Array when role != ChatMessage.User:
                return Fail("Non-user message having a list of content is invalid.", $"{at}.content", schema: false);
            case JsonValueKind.Array:
                return ReadParts(role, content, $"{at}.content");
            default:
                return Fail($"'{at}.content' must be a string, a list of content parts or null.", $"{at}.content", schema: true);
        }
    }

    private static (ChatMessage?, ChatRequestError?) ReadParts(string role, JsonElement content, string at)
    {
        var parts = new List<string>(content.GetArrayLength());
        var index = 0;
        foreach (var part in content.EnumerateArray())
        {
            var here = $"{at}[{index++}]";
            var type = part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            switch (type)
            {
                case "text" when part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String:
                    parts.Add(text.GetString()!);
                    break;
                case "text":
                    return Fail($"'{here}.text' must be a string.", here, schema: true);
                case "image_url":
                    return Fail("This model takes no images: only 'text' content parts are supported.", here, schema: false);
                case null:
                    return Fail($"'{here}' must be an object with a 'type'.", here, schema: true);
                default:
                    return Fail($"Unsupported content type: {type}", here, schema: false);
            }
        }

        return (new ChatMessage(role, parts), null);
    }

    private static (ChatMessage?, ChatRequestError?) Fail(string message, string param, bool schema) => (null, new ChatRequestError(message, param, schema));
}
