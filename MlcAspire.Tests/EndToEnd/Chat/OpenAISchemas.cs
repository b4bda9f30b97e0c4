using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using NJsonSchema;
using NJsonSchema.Infrastructure;
using NJsonSchema.Validation;

namespace MlcAspire.Tests.EndToEnd.Chat;

/// <summary>
/// OpenAI's response schemas (<c>schemas/openai-response-schemas.json</c>: the components of the published OpenAPI
/// document, unchanged) as validators. The document's references point into <c>components/schemas</c>, which NJsonSchema
/// resolves only under <c>definitions</c>; the loader moves them there in memory, the file stays as published.
/// </summary>
internal static class OpenAISchemas
{
    private static readonly string File = System.IO.Path.Combine(RepositoryPaths.Root, "MlcAspire.Tests", "EndToEnd", "Chat", "schemas", "openai-response-schemas.json");
    private static readonly ConcurrentDictionary<string, Task<JsonSchema>> Schemas = new();

    /// <summary>
    /// What in <paramref name="json"/> breaks the component's schema. In a stream chunk, a null <c>finish_reason</c> and
    /// a null <c>usage</c> are what OpenAI itself sends before the last chunk, so those are not counted.
    /// </summary>
    public static async Task<List<string>> ValidateAsync(string component, string json, bool streamChunk)
    {
        var schema = await Schemas.GetOrAdd(component, LoadAsync);
        var node = JsonNode.Parse(json);
        return [.. Flatten(schema.Validate(json, SchemaType.OpenApi3))
            .Where(error => !(streamChunk && IsStreamNull(node, error.Path)))
            .Select(error => $"{error.Kind} at {error.Path}")];
    }

    public static async Task AssertValidAsync(string component, string json, bool streamChunk = false)
    {
        var errors = await ValidateAsync(component, json, streamChunk);
        Assert.True(errors.Count == 0, $"{component}: {string.Join("; ", errors)}\n{json}");
    }

    private static async Task<JsonSchema> LoadAsync(string component)
    {
        var document = JsonNode.Parse((await System.IO.File.ReadAllTextAsync(File)).Replace("#/components/schemas/", "#/definitions/", StringComparison.Ordinal))!;
        var root = new JsonObject { ["definitions"] = document["components"]!["schemas"]!.DeepClone(), ["$ref"] = "#/definitions/" + component };
        return await JsonSchemaSerialization.FromJsonAsync<JsonSchema>(
            root.ToJsonString(),
            SchemaType.OpenApi3,
            null,
            schema => new JsonReferenceResolver(new JsonSchemaAppender(schema, new DefaultTypeNameGenerator())),
            JsonSchema.CreateJsonSerializerContractResolver(SchemaType.OpenApi3),
            CancellationToken.None);
    }

    private static IEnumerable<ValidationError> Flatten(IEnumerable<ValidationError> errors) =>
        errors.SelectMany(error => error is ChildSchemaValidationError child && child.Errors.Count > 0
            ? Flatten(child.Errors.Values.SelectMany(inner => inner))
            : [error]);

    /// <summary>Whether the error is about a null <c>usage</c> (or a field under it) or a null <c>choices[i].finish_reason</c>.</summary>
    private static bool IsStreamNull(JsonNode? chunk, string? path)
    {
        if (path is null || chunk is not JsonObject body)
        {
            return false;
        }

        if (path.StartsWith("#/usage", StringComparison.Ordinal))
        {
            return body["usage"] is null;
        }

        var match = System.Text.RegularExpressions.Regex.Match(path, @"^#/choices\[(\d+)\]\.finish_reason$");
        return match.Success && body["choices"]?[int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)]?["finish_reason"] is null;
    }
}
