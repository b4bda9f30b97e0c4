using System.Text.Json.Serialization;

namespace MlcAspire.ReferenceEngine.Protocol;

/// <summary>The answer of <c>prep_recv</c> (mlc-protocol.md §4.2).</summary>
internal sealed record PrepRecvResponse(
    [property: JsonPropertyName("kv_append_metadata")] string KvAppendMetadata,
    [property: JsonPropertyName("prefix_matched_length")] int PrefixMatchedLength);

/// <summary>The answer of <c>remote_send</c>: <c>{}</c>, sent once the receiver holds the rows.</summary>
internal sealed record RemoteSendResponse;
