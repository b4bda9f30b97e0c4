using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace MlcAspire.ReferenceEngine.Protocol;

/// <summary>MLC's <c>ErrorResponse</c>; sent double-encoded (a JSON string holding this object), mlc-protocol.md §2.5.</summary>
internal sealed record EngineError(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("code")] int Code)
{
    [JsonPropertyName("object")]
    [JsonPropertyOrder(-1)]
    public string Object => "error";
}

/// <summary>FastAPI's 422 body.</summary>
internal sealed record ValidationErrorBody([property: JsonPropertyName("detail")] IReadOnlyList<ValidationErrorDetail> Detail);

internal sealed record ValidationErrorDetail(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("loc")] JsonArray Loc,
    [property: JsonPropertyName("msg")] string Msg,
    [property: JsonPropertyName("input")] JsonNode? Input);

/// <summary>The API-key failure body (mlc-protocol.md §2.1).</summary>
internal sealed record DetailBody([property: JsonPropertyName("detail")] string Detail);
