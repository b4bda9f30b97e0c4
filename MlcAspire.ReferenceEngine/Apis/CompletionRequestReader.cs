using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using MlcAspire.ReferenceEngine.Protocol;

namespace MlcAspire.ReferenceEngine.Apis;

/// <summary>Reads a completion or chat request body, answering malformed bodies with FastAPI's 422.</summary>
internal static class CompletionRequestReader
{
    public static Task<(CompletionRequest? Request, IResult? Error)> ReadAsync(HttpRequest httpRequest, CancellationToken cancellationToken) =>
        ReadTextAsync(httpRequest, EngineJson.Context.CompletionRequest, "prompt",
            request => !IsText(request.Prompt) ? "prompt" : !IsText(request.Stop) ? "stop" : null, cancellationToken);

    public static Task<(ChatCompletionRequest? Request, IResult? Error)> ReadChatAsync(HttpRequest httpRequest, CancellationToken cancellationToken) =>
        ReadTextAsync(httpRequest, EngineJson.Context.ChatCompletionRequest, "messages",
            request => !AllText(request.Messages) ? "messages" : !IsText(request.Stop) ? "stop" : null, cancellationToken);

    /// <summary>Reads the body, then names the first field whose strings are not text (<paramref name="nonText"/>).</summary>
    private static async Task<(T? Request, IResult? Error)> ReadTextAsync<T>(
        HttpRequest httpRequest, JsonTypeInfo<T> typeInfo, string requiredField, Func<T, string?> nonText, CancellationToken cancellationToken)
        where T : class
    {
        var (request, error) = await ReadBodyAsync(httpRequest, typeInfo, requiredField, cancellationToken);
        return request is not null && nonText(request) is { } field ? (null, NotUnicode(field)) : (request, error);
    }

    private static async Task<(T? Request, IResult? Error)> ReadBodyAsync<T>(
        HttpRequest httpRequest, JsonTypeInfo<T> typeInfo, string requiredField, CancellationToken cancellationToken)
        where T : class
    {
        // A document, not a JsonNode: Python's json reader lets a repeated key win, a JsonObject would throw.
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(httpRequest.Body, cancellationToken: cancellationToken);
        }
        catch (JsonException ex)
        {
            return (null, EngineResults.Validation([new("json_invalid", new JsonArray("body", (int)(ex.BytePositionInLine ?? 0)), "JSON decode error", null)]));
        }

        using var _ = document;
        var body = document.RootElement;
        if (body.ValueKind != JsonValueKind.Object)
        {
            return (null, EngineResults.Validation([new("model_attributes_type", new JsonArray("body"), "Input should be a valid dictionary or object to extract fields from", ToNode(body))]));
        }

        T? request;
        try
        {
            request = body.Deserialize(typeInfo);
        }
        catch (InvalidOperationException)
        {
            return (null, NotUnicode("body"));
        }
        catch (JsonException ex)
        {
            var field = ex.Path is { Length: > 2 } path ? path[2..] : "";
            var input = ToNode(FindInput(body, field));
            var (type, expected) = Describe(field.Split('.', '[')[0]);
            var missing = ex.Message.Contains("missing required properties", StringComparison.Ordinal);
            return (null, EngineResults.Validation([missing
                ? new("missing", Location(field, "include_usage"), "Field required", input)
                : new(type, Location(field, null), $"Input should be {expected}", input)]));
        }

        if (!body.TryGetProperty(requiredField, out var _))
        {
            return (null, EngineResults.Validation([EngineResults.Invalid(requiredField, "missing", "Field required", ToNode(body))]));
        }

        return (request, null);
    }

    /// <summary>Every string anywhere in <paramref name="element"/> is text (the messages' contents, roles, names).</summary>
    private static bool AllText(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => IsText(element),
        JsonValueKind.Array => element.EnumerateArray().All(AllText),
        JsonValueKind.Object => element.EnumerateObject().All(property => AllText(property.Value)),
        _ => true,
    };

    /// <summary>
    /// A lone surrogate escape (<c>\ud800</c>) is valid JSON but no text: it has no UTF-8 form to tokenise or match.
    /// </summary>
    private static IResult NotUnicode(string field) => EngineResults.Validation(
        [new("string_unicode", field == "body" ? new JsonArray("body") : new JsonArray("body", field), "Input should be a valid string, unable to parse raw data as a unicode string", null)]);

    private static bool IsText(JsonElement element)
    {
        try
        {
            foreach (var text in element.ValueKind switch
            {
                JsonValueKind.String => [element],
                JsonValueKind.Array => element.EnumerateArray().Where(item => item.ValueKind == JsonValueKind.String),
                _ => [],
            })
            {
                _ = text.GetString();
            }

            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static JsonArray Location(string path, string? leaf)
    {
        var location = new JsonArray("body");
        foreach (var part in path.Split(['.', '[', ']'], StringSplitOptions.RemoveEmptyEntries))
        {
            location.Add(int.TryParse(part, out var index) ? JsonValue.Create(index) : JsonValue.Create(part));
        }

        if (leaf is not null)
        {
            location.Add(leaf);
        }

        return location;
    }

    private static JsonElement? FindInput(JsonElement body, string path)
    {
        JsonElement? node = body;
        foreach (var part in path.Split(['.', '[', ']'], StringSplitOptions.RemoveEmptyEntries))
        {
            node = node switch
            {
                { ValueKind: JsonValueKind.Object } obj when obj.TryGetProperty(part, out var child) => child,
                { ValueKind: JsonValueKind.Array } array when int.TryParse(part, out var index) && index < array.GetArrayLength() => array[index],
                _ => null,
            };
        }

        return node;
    }

    private static JsonNode? ToNode(JsonElement? element) => element is { } value ? JsonNode.Parse(value.GetRawText()) : null;

    /// <summary>pydantic's error type and wording for a field of the wrong JSON type.</summary>
    private static (string Type, string Expected) Describe(string field) => field switch
    {
        "best_of" or "logprobs" or "max_tokens" or "n" or "seed" or "end" or "begin" or "recv_rank" => ("int_type", "a valid integer"),
        "frequency_penalty" or "presence_penalty" or "temperature" or "top_p" => ("float_type", "a valid number"),
        "echo" or "stream" => ("bool_type", "a valid boolean"),
        "model" or "suffix" or "user" or "kv_addr_info" => ("string_type", "a valid string"),
        _ => ("model_type", "a valid dictionary or instance of the field's model"),
    };
}
