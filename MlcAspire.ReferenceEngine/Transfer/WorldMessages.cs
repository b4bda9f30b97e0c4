using System.Text.Json.Serialization;

namespace MlcAspire.ReferenceEngine.Transfer;

/// <summary>What an engine tells the bootstrap root when it joins: its PEs and where it receives KV.</summary>
internal sealed record WorldJoin(
    [property: JsonPropertyName("npes")] int Npes,
    [property: JsonPropertyName("pe_start")] int PeStart,
    [property: JsonPropertyName("num_pes")] int NumPes,
    [property: JsonPropertyName("address")] string Address);

/// <summary>The root's answer once every PE has joined (or why the world cannot form).</summary>
internal sealed record WorldTable(
    [property: JsonPropertyName("peers")] IReadOnlyList<WorldPeer>? Peers,
    [property: JsonPropertyName("error")] string? Error);

internal sealed record WorldPeer(
    [property: JsonPropertyName("pe")] int Pe,
    [property: JsonPropertyName("address")] string Address);

/// <summary><c>MLC_NVSHMEM_INIT_CONFIG_JSON_STR</c>.</summary>
internal sealed record NvshmemInitConfig(
    [property: JsonPropertyName("uid")] long[] Uid,
    [property: JsonPropertyName("npes")] int Npes,
    [property: JsonPropertyName("pe_start")] int PeStart);
