using System.Text.Json.Nodes;
using NJsonSchema;

namespace MlcAspire.Tests.Unit.AppHost;

/// <summary>The Aspire manifest schema, as NJsonSchema can read it.</summary>
internal static class AspireManifestSchema
{
    /// <summary>
    /// Loads the Aspire 8.0 manifest schema (dotnet/aspire src/Schema/aspire-8.0.json, MIT), the one azd reads
    /// manifests by. NJsonSchema reads neither draft-07 boolean subschemas (container.v0 says <c>"build": false</c>)
    /// nor <c>const</c> (which tells project.v0 from project.v1), so both become their exact equivalents first:
    /// <c>true</c> is <c>{}</c>, <c>false</c> is <c>{"not": {}}</c>, <c>"const": x</c> is <c>"enum": [x]</c>.
    /// </summary>
    public static async Task<JsonSchema> LoadAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Unit", "AppHost", "aspire-8.0.json");
        var schema = JsonNode.Parse(await File.ReadAllTextAsync(path, cancellationToken))!;
        ReplaceUnsupportedKeywords(schema);
        return await JsonSchema.FromJsonAsync(schema.ToJsonString(), cancellationToken);
    }

    private static void ReplaceUnsupportedKeywords(JsonNode node)
    {
        if (node is JsonObject schema)
        {
            if (schema["const"] is { } constant)
            {
                schema.Remove("const");
                schema["enum"] = new JsonArray(constant.DeepClone());
            }

            if (schema["properties"] is JsonObject properties)
            {
                foreach (var (name, value) in properties.ToList())
                {
                    if (value is JsonValue flag && flag.TryGetValue<bool>(out var allowed))
                    {
                        properties[name] = allowed ? new JsonObject() : new JsonObject { ["not"] = new JsonObject() };
                    }
                }
            }

            foreach (var (_, child) in schema.ToList())
            {
                if (child is not null)
                {
                    ReplaceUnsupportedKeywords(child);
                }
            }
        }
        else if (node is JsonArray array)
        {
            foreach (var child in array.OfType<JsonNode>())
            {
                ReplaceUnsupportedKeywords(child);
            }
        }
    }
}
