using System.Text.Json.Serialization;

namespace MlcAspire.Router.Protocol;

/// <summary>The decode engine's answer to <c>/microserving/prep_recv</c> (mlc-protocol.md §4.2).</summary>
public sealed record PrepRecvResponse(
    [property: JsonPropertyName("kv_append_metadata")] string KvAppendMetadata,
    [property: JsonPropertyName("prefix_matched_length")] int PrefixMatchedLength);
