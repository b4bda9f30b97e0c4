using System.Text.Json.Serialization;

namespace MlcAspire.Models;

[JsonSourceGenerationOptions(ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(MlcChatConfig))]
[JsonSerializable(typeof(int[]))]
internal sealed partial class ModelsJsonContext : JsonSerializerContext;
