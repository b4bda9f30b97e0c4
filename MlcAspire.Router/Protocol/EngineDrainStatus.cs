using System.Text.Json.Serialization;

namespace MlcAspire.Router.Protocol;

/// <summary>The answer of a drain or undrain: whether the engine is out of rotation and what it still serves.</summary>
public sealed record EngineDrainStatus(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("drained")] bool Drained,
    [property: JsonPropertyName("active_requests")] int ActiveRequests);
