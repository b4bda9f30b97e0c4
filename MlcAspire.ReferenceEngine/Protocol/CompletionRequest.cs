using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlcAspire.ReferenceEngine.Protocol;

/// <summary>
/// MLC's <c>CompletionRequest</c> (mlc-protocol.md §2.2), plus the MicroServing fields of mlc-protocol.md §4.2–4.4, which only the
/// <c>/microserving/*</c> routes read. Unknown keys are ignored, as pydantic's default does.
/// </summary>
internal sealed record CompletionRequest
{
    [JsonPropertyName("model")]
    public string? Model { get; init; }

    /// <summary>A string or a list of token ids.</summary>
    [JsonPropertyName("prompt")]
    public JsonElement Prompt { get; init; }

    /// <summary>Null means MLC's default, 1. (Defaults live in the readers: the source generator resets init-only initialisers.)</summary>
    [JsonPropertyName("best_of")]
    public int? BestOf { get; init; }

    [JsonPropertyName("echo")]
    public bool Echo { get; init; }

    [JsonPropertyName("frequency_penalty")]
    public double? FrequencyPenalty { get; init; }

    [JsonPropertyName("presence_penalty")]
    public double? PresencePenalty { get; init; }

    [JsonPropertyName("logprobs")]
    public int? Logprobs { get; init; }

    [JsonPropertyName("logit_bias")]
    public Dictionary<string, double>? LogitBias { get; init; }

    [JsonPropertyName("max_tokens")]
    public int? MaxTokens { get; init; }

    /// <summary>Null means MLC's default, 1.</summary>
    [JsonPropertyName("n")]
    public int? N { get; init; }

    [JsonIgnore]
    public int ChoiceCount => N ?? 1;

    [JsonPropertyName("seed")]
    public long? Seed { get; init; }

    /// <summary>A string, a list of strings, or null.</summary>
    [JsonPropertyName("stop")]
    public JsonElement Stop { get; init; }

    [JsonPropertyName("stream")]
    public bool Stream { get; init; }

    [JsonPropertyName("stream_options")]
    public StreamOptions? StreamOptions { get; init; }

    [JsonPropertyName("suffix")]
    public string? Suffix { get; init; }

    [JsonPropertyName("temperature")]
    public double? Temperature { get; init; }

    [JsonPropertyName("top_p")]
    public double? TopP { get; init; }

    /// <summary>The engine's request id when given (mlc-protocol.md §2.2).</summary>
    [JsonPropertyName("user")]
    public string? User { get; init; }

    [JsonPropertyName("response_format")]
    public JsonElement ResponseFormat { get; init; }

    [JsonPropertyName("debug_config")]
    public DebugConfig? DebugConfig { get; init; }

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
