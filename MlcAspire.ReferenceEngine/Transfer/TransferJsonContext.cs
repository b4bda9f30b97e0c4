using System.Text.Json.Serialization;

namespace MlcAspire.ReferenceEngine.Transfer;

[JsonSerializable(typeof(WorldJoin))]
[JsonSerializable(typeof(WorldTable))]
[JsonSerializable(typeof(NvshmemInitConfig))]
[JsonSerializable(typeof(long[]))]
internal sealed partial class TransferJsonContext : JsonSerializerContext;
