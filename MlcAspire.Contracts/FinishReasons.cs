namespace MlcAspire.Contracts;

/// <summary>
/// The <c>finish_reason</c> values an MLC engine sends on a completion choice (null while it is still generating);
/// see docs/mlc-protocol.md.
/// </summary>
public static class FinishReasons
{
    /// <summary>The model produced a stop token or the text reached one of the request's stop strings.</summary>
    public const string Stop = "stop";

    /// <summary>The choice reached <c>max_tokens</c> or the context window.</summary>
    public const string Length = "length";

    /// <summary>
    /// The engine evicted the request to free KV cache; its text is incomplete. In disaggregation the engine aborts
    /// the whole request, and a router restarts it from scratch.
    /// </summary>
    public const string Preempt = "preempt";

    /// <summary>A chat choice of a request whose tools turned on MLC's function calling (chat only).</summary>
    public const string ToolCalls = "tool_calls";

    /// <summary>A chat choice whose text was to be tool calls but did not parse as any (MLC's chat only; not OpenAI's).</summary>
    public const string Error = "error";
}
