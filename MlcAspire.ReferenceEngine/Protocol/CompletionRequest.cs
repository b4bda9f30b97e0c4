using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlcAspire.ReferenceEngine.Protocol;

/// <summary>
/// MLC's <c>CompletionRequest</c> (mlc-protocol.md §2.2), plus the MicroServing fields of mlc-protocol.md §4.2–4.4, which only the
/// <c>/microserving/*</c> routes read. Unknown keys are ignored, as pydantic's default does.
/// </summary>
internal sealed record CompletionRequest : SamplingRequest
{
    /// <summary>A string or a list of token ids.</summary>
    [JsonPropertyName("prompt")]
    public JsonElement Prompt { get; init; }

    /// <summary>Null means MLC's default, 1. (Defaults live in the readers: the source generator resets init-only initialisers.)</summary>
    [JsonPropertyName("best_of")]
    public int? BestOf { get; init; }

    [JsonPropertyName("echo")]
    public bool Echo { get; init; }

    [JsonPropertyName("logprobs")]
    public int? Logprobs { get; init; }

    [JsonPropertyName("suffix")]
    public string? Suffix { get; init; }

    /// <summary>prep_recv and remote_send: the end of the KV window.</summary>
    [JsonPropertyName("end")]
    public int? End { get; init; }

    /// <summary>remote_send and start_generate: the beginning of the window.</summary>
    [JsonPropertyName("begin")]
    public int? Begin { get; init; }

    [JsonPropertyName("kv_addr_info")]
    public string? KvAddrInfo { get; init; }

    [JsonPropertyName("recv_rank")]
    public int? RecvRank { get; init; }
}

internal sealed record StreamOptions
{
    /// <summary>Required inside the object (an empty object is a validation error), as in MLC.</summary>
    [JsonPropertyName("include_usage")]
    [JsonRequired]
    public bool? IncludeUsage { get; init; }
}

/// <summary>MLC's <c>DebugConfig</c> (mlc-protocol.md §3); honoured only under <c>--enable-debug</c>.</summary>
internal sealed record DebugConfig
{
    [JsonPropertyName("ignore_eos")]
    public bool IgnoreEos { get; init; }

    [JsonPropertyName("pinned_system_prompt")]
    public bool PinnedSystemPrompt { get; init; }

    [JsonPropertyName("special_request")]
    public string? SpecialRequest { get; init; }

    [JsonPropertyName("grammar_execution_mode")]
    public string? GrammarExecutionMode { get; init; }

    [JsonPropertyName("disagg_config")]
    public JsonElement DisaggConfig { get; init; }
}
