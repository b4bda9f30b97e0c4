namespace MlcAspire.Router.Scheduling;

/// <summary>
/// How one attempt of a completion reaches the engines: the counterpart of subclassing MLC's <c>Router</c> and
/// overriding <c>translate_request</c>. Register your own implementation in DI after <c>AddRouterServices()</c>
/// (<c>services.AddSingleton&lt;ICompletionStrategy, MyStrategy&gt;()</c>) to replace the built-in round-robin and
/// disaggregated strategies.
/// </summary>
/// <remarks>
/// A strategy only gets the generation started: it picks engines through <see cref="EngineScheduler"/> (whose
/// leases keep the load accounting), runs any handoff (prep_recv, remote_send…), and returns the open streaming
/// response of the engine that generates. The router then relays that stream, retries preempted attempts with a
/// new request id, maps errors and releases everything the <see cref="CompletionStart"/> owns.
/// </remarks>
public interface ICompletionStrategy
{
    /// <summary>Whether this strategy needs the prompt as token ids (the router tokenizes text prompts only then).</summary>
    bool RequiresPromptTokens { get; }

    /// <summary>Starts one attempt; never throws for engine or client failures, which come back as values.</summary>
    ValueTask<CompletionStart> StartAsync(CompletionAttempt attempt, CancellationToken cancellationToken);
}
