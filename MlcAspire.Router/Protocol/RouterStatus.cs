using System.Text.Json.Serialization;

namespace MlcAspire.Router.Protocol;

/// <summary><c>GET /router/status</c>: the router's settings and every engine's live load.</summary>
public sealed record RouterStatus(
    [property: JsonPropertyName("mode")] string Mode,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("pd_balance_factor")] double PdBalanceFactor,
    [property: JsonPropertyName("pd_balance_adaptive")] bool PdBalanceAdaptive,
    [property: JsonPropertyName("routing_policy")] string RoutingPolicy,
    [property: JsonPropertyName("max_preempt_retries")] int MaxPreemptRetries,
    [property: JsonPropertyName("engines")] IReadOnlyList<EngineStatus> Engines);

public sealed record EngineStatus(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("pe_start")] int PeStart,
    [property: JsonPropertyName("active_requests")] int ActiveRequests,
    [property: JsonPropertyName("total_requests")] long TotalRequests,
    [property: JsonPropertyName("failed_requests")] long FailedRequests,
    [property: JsonPropertyName("circuit")] string Circuit,
    [property: JsonPropertyName("last_failure")] string? LastFailure,
    [property: JsonPropertyName("prefix_index")] PrefixIndexStatus PrefixIndex,
    [property: JsonPropertyName("drained")] bool Drained);

/// <summary>What the router believes an engine's prefix cache holds, and how often requests routed there found it.</summary>
public sealed record PrefixIndexStatus(
    [property: JsonPropertyName("blocks")] int Blocks,
    [property: JsonPropertyName("tokens")] long Tokens,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("hit_rate")] double HitRate);
