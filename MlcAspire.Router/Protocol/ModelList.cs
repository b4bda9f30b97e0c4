using System.Text.Json.Serialization;

namespace MlcAspire.Router.Protocol;

/// <summary><c>GET /v1/models</c>, in the shape MLC engines answer it (mlc-protocol.md §2.6).</summary>
public sealed record ModelList(
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("data")] IReadOnlyList<ModelCard> Data);

public sealed record ModelCard(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("owned_by")] string OwnedBy);
