using System.ComponentModel.DataAnnotations;

namespace MlcAspire.Router;

/// <summary>The router's settings, bound from the <c>Router</c> section (see docs/wiring.md).</summary>
public sealed class RouterOptions
{
    public const string SectionName = "Router";

    /// <summary><c>Router__Mode</c>: <c>disagg</c> or <c>round-robin</c> (binding also accepts <c>RoundRobin</c>).</summary>
    public RouterMode Mode { get; set; } = RouterMode.Disagg;

    /// <summary><c>Router__Model</c>: the model argument every engine got; the <c>/v1/models</c> id and the tokenizer's directory.</summary>
    [Required]
    public string Model { get; set; } = "";

    /// <summary>
    /// <c>Router__ModelPath</c>: the model's folder on this machine when <see cref="Model"/> (the id, as the engines were
    /// given it) does not resolve from the router's working directory; the AppHost sets it, since a project runs in its
    /// own folder.
    /// </summary>
    public string? ModelPath { get; set; }

    /// <summary>Where the tokenizer is read: <see cref="ModelPath"/> when set, else the model argument itself.</summary>
    public string ModelFolder => string.IsNullOrEmpty(ModelPath) ? Model : ModelPath;

    /// <summary><c>Router__PdBalanceFactor</c>: share of the prompt tail the decode engine prefills itself; 0 means end = -1.</summary>
    [Range(0.0, 1.0, MaximumIsExclusive = true)]
    public double PdBalanceFactor { get; set; }

    [Required]
    [MinLength(1)]
    public List<EngineConfig> Engines { get; set; } = [];

    /// <summary>Largest completion body accepted (413 beyond); a full context window of text is far smaller.</summary>
    [Range(1024, int.MaxValue)]
    public int MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>How many times a request the engine preempted is restarted from scratch before the client gets an error.</summary>
    [Range(0, 10)]
    public int MaxPreemptRetries { get; set; } = 3;

    /// <summary>Wait before the first preempt retry; doubles on each further retry.</summary>
    public TimeSpan PreemptBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a decode engine may hold prep_recv in its admission queue.</summary>
    public TimeSpan PrepRecvTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a prefill engine may take to compute and push the KV window.</summary>
    public TimeSpan RemoteSendTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>How long an engine may take to send response headers (MLC sends them with the first token).</summary>
    public TimeSpan FirstTokenTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Longest silence between two reads of a token stream; resets on every read. There is no total timeout.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long an engine may take over a non-streamed completion: its answer comes whole, headers and all, after the
    /// last token, so no idle timeout can guard it. Long enough for a long generation on a busy engine.
    /// </summary>
    public TimeSpan CompletionTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Budget for releasing a decode engine's parked state after a handoff that did not complete.</summary>
    public TimeSpan ReleaseTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The budget for a generating call's response headers: the first token of a stream, the whole answer otherwise.</summary>
    public TimeSpan GenerationTimeout(CompletionRequest request) => request.Stream ? FirstTokenTimeout : CompletionTimeout;
}
