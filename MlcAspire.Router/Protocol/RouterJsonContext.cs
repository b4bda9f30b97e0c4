using System.Text.Json.Serialization;

namespace MlcAspire.Router.Protocol;

/// <summary>The one serializer context for the router's own wire types.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(OpenAIError))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(RouterStatus))]
[JsonSerializable(typeof(EngineDrainStatus))]
[JsonSerializable(typeof(PrepRecvResponse))]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(JsonNode))]
[JsonSerializable(typeof(long[]))]
[JsonSerializable(typeof(int[]))]
internal sealed partial class RouterJsonContext : JsonSerializerContext;
