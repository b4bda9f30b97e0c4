using System.ComponentModel.DataAnnotations;

namespace MlcAspire.Router;

/// <summary>
/// What one completion request may ask for, bound from <c>Router:Limits</c> (e.g. <c>Router__Limits__MaxStopSequences</c>),
/// so that every per-request cost is bounded by the request's size and these numbers (docs/reliability.md, "Hostile
/// input"). Defaults follow OpenAI's published limits where it has one; MLC itself sets none.
/// </summary>
public sealed class RequestLimitsOptions
{
    public const string SectionName = "Router:Limits";

    /// <summary>Deepest JSON nesting of a body (400 <c>invalid_json</c> beyond); a completion body needs 3.</summary>
    [Range(4, 256)]
    public int MaxJsonDepth { get; set; } = 64;

    /// <summary>Most entries of <c>stop</c>: OpenAI's 4.</summary>
    [Range(1, 1024)]
    public int MaxStopSequences { get; set; } = 4;

    /// <summary>Longest stop string, in chars: the engine holds back and rescans up to this much text per token.</summary>
    [Range(1, 1_000_000)]
    public int MaxStopLength { get; set; } = 512;

    /// <summary>Most entries of <c>logit_bias</c>: OpenAI's 300.</summary>
    [Range(1, 1_000_000)]
    public int MaxLogitBiasEntries { get; set; } = 300;

    /// <summary>
    /// Most tokens one request may ask the engines to generate: <c>n</c> times <c>max_tokens</c>, with <c>max_tokens</c>
    /// capped at the model's context window (the engine stops there anyway). The default lets OpenAI's largest
    /// <c>n</c> (128) fill a 4,096-token window.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MaxOutputTokens { get; set; } = 128 * 4096;

    /// <summary>Longest <c>response_format.schema</c>, in chars: the engine compiles it into a grammar.</summary>
    [Range(2, int.MaxValue)]
    public int MaxSchemaLength { get; set; } = 64 * 1024;

    /// <summary>
    /// Bytes of request bodies the router may hold at once, over every admitted completion (declared length, or the
    /// body limit when chunked); beyond it a request gets 429 before its body is read. At least
    /// <c>Router:MaxRequestBodyBytes</c>.
    /// </summary>
    [Range(1024, long.MaxValue)]
    public long MaxInFlightBodyBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Longest time a client may take to send a body (408 beyond); Kestrel's minimum data rate cuts stalls sooner.</summary>
    public TimeSpan BodyReadTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
