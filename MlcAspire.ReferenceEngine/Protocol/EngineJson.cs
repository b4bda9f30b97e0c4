using System.Text.Encodings.Web;
using System.Text.Json;

namespace MlcAspire.ReferenceEngine.Protocol;

/// <summary>The serializer context the engine uses: <see cref="EngineJsonContext"/> with Python's escaping.</summary>
internal static class EngineJson
{
    /// <summary>
    /// Escapes only what JSON requires, as pydantic and FastAPI do: quotes inside the double-encoded error body
    /// appear as <c>\"</c>, not <c>\u0022</c>, and non-ASCII text stays UTF-8.
    /// </summary>
    public static EngineJsonContext Context { get; } = new(new JsonSerializerOptions
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never,
    });
}
