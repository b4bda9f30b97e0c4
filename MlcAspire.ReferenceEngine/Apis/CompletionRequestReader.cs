using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MlcAspire.ReferenceEngine.Protocol;

namespace MlcAspire.ReferenceEngine.Apis;

/// <summary>Reads a request body into <see cref="CompletionRequest"/>, answering malformed bodies with FastAPI's 422.</summary>
internal static partial class CompletionRequestReader
{
    public static async Task<(CompletionRequest? Request, IResult? Error)> ReadAsync(HttpRequest httpRequest, CancellationToken cancellationToken)
    {
        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(httpRequest.Body, cancellationToken: cancellationToken);
        }
        catch (JsonException ex)
        {
            return (null, EngineResults.Validation([new("json_invalid", new JsonArray("body", (int)(ex.BytePositionInLine ?? 0)), "JSON decode error", null)]));
        }

        if (body is not JsonObject)
        {
            return (null, EngineResults.Validation([new("model_attributes_type", new JsonArray("body"), "Input should be a valid dictionary or object to extract fields from", body?.DeepClone())]));
        }

        CompletionRequest? request;
        try
        {
            request = body.Deserialize(EngineJson.Context.CompletionRequest);
        }
        catch (JsonException ex)
        {
            var field = ex.Path is { Length: > 2 } path ? path[2..] : "";
            var input = FindInput(body, field);
            var (type, expected) = ExpectedType().Match(ex.Message) is { Success: true } match ? Describe(match.Groups[1].Value) : ("value_error", "a valid value");
            var missing = ex.Message.Contains("missing required properties", StringComparison.Ordinal);
            return (null, EngineResults.Validation([missing
                ? new("missing", Location(field, "include_usage"), "Field required", input?.DeepClone())
                : new(type, Location(field, null), $"Input should be {expected}", input?.DeepClone())]));
        }

        if (request!.Prompt.ValueKind == JsonValueKind.Undefined)
        {
            return (null, EngineResults.Validation([EngineResults.Invalid("prompt", "missing", "Field required", body.DeepClone())]));
        }

        return (request, null);
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

    private static JsonNode? FindInput(JsonNode body, string path)
    {
        var node = body;
        foreach (var part in path.Split(['.', '[', ']'], StringSplitOptions.RemoveEmptyEntries))
        {
            node = node switch
            {
                JsonObject obj => obj[part],
                JsonArray array when int.TryParse(part, out var index) && index < array.Count => array[index],
                _ => null,
            };
        }

        return node;
    }

    private static (string Type, string Expected) Describe(string clrType) => clrType switch
    {
        _ when clrType.Contains("Int", StringComparison.Ordinal) => ("int_type", "a valid integer"),
        _ when clrType.Contains("Double", StringComparison.Ordinal) => ("float_type", "a valid number"),
        _ when clrType.Contains("Boolean", StringComparison.Ordinal) => ("bool_type", "a valid boolean"),
        "System.String" => ("string_type", "a valid string"),
        _ => ("model_type", "a valid dictionary"),
    };

    [GeneratedRegex(@"converted to ([\w.`\[\]]+)")]
    private static partial Regex ExpectedType();
}
