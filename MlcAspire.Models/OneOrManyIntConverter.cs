using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlcAspire.Models;

/// <summary>Reads a JSON number or array of numbers as a list.</summary>
internal sealed class OneOrManyIntConverter : JsonConverter<IReadOnlyList<int>>
{
    public override IReadOnlyList<int> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.Number => [reader.GetInt32()],
            JsonTokenType.Null => [],
            JsonTokenType.StartArray => JsonSerializer.Deserialize(ref reader, ModelsJsonContext.Default.Int32Array) ?? [],
            _ => throw new JsonException("eos_token_id must be a number or an array of numbers."),
        };

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<int> value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value.ToArray(), ModelsJsonContext.Default.Int32Array);
}
