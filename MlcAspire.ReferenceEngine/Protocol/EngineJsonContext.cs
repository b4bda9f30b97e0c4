using System.Text.Json.Serialization;

namespace MlcAspire.ReferenceEngine.Protocol;

/// <summary>
/// Every JSON body the engine reads or writes. Output is compact with null fields present, the shape of MLC's
/// <c>model_dump_json(by_alias=True)</c>.
/// </summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(CompletionRequest))]
[JsonSerializable(typeof(CompletionResponse))]
[JsonSerializable(typeof(ChatCompletionRequest))]
[JsonSerializable(typeof(ChatCompletionResponse<ChatChoice>))]
[JsonSerializable(typeof(ChatCompletionResponse<ChatChunkChoice>))]
[JsonSerializable(typeof(PrepRecvResponse))]
[JsonSerializable(typeof(RemoteSendResponse))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(EngineError))]
[JsonSerializable(typeof(ValidationErrorBody))]
[JsonSerializable(typeof(DetailBody))]
[JsonSerializable(typeof(string))]
internal sealed partial class EngineJsonContext : JsonSerializerContext;
