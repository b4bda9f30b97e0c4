using System.Text.Json.Serialization;

namespace MlcAspire.ReferenceEngine.Cli;

[JsonSerializable(typeof(string[]))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
