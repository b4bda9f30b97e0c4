namespace MlcAspire.Router.Scheduling;

/// <summary>
/// Whole requests to one engine's <c>/v1/completions</c> or <c>/v1/chat/completions</c>, chosen by the routing policy.
/// Tokenizes a prompt (a chat's rendered conversation) only for the cache-aware policy, and only when the router has the
/// model's tokenizer (W15: MLC tokenizes for nothing).
/// </summary>
internal sealed class RoundRobinStrategy(
    EngineScheduler scheduler, EngineClient client, TimeProvider timeProvider, IOptions<RouterOptions> options) : ICompletionStrategy
{
    public const string CompletionsPath = "v1/completions";
    public const string ChatCompletionsPath = "v1/chat/completions";

    private readonly RouterOptions _options = options.Value;

    public bool RequiresPromptTokens { get; } = scheduler.Routing.RoutingPolicy == RoutingPolicy.CacheAware && ModelPromptTokenizer.IsAvailable(options.Value.Model);

    public async ValueTask<CompletionStart> StartAsync(CompletionAttempt attempt, CancellationToken cancellationToken)
    {
        var route = attempt.Route = scheduler.CreateRoute(attempt.Request);
        var lease = scheduler.Acquire(EngineSelection.Any, route: route);
        if (lease is null)
        {
            return CompletionStart.Failed(new EngineFailure(EngineCallError.NoHealthyEngine, scheduler.Unavailability ?? "No engine is in rotation; try again later."));
        }

        return await StartOnAsync(lease, attempt, cancellationToken);
    }

    /// <summary>Runs the whole request on the leased engine; the returned start owns the lease (released here on failure).</summary>
    public async ValueTask<CompletionStart> StartOnAsync(EngineLease lease, CompletionAttempt attempt, CancellationToken cancellationToken)
    {
        var timeout = new ActivityTimeout(timeProvider, _options.GenerationTimeout(attempt.Request), cancellationToken);
        var started = false;
        try
        {
            var body = attempt.Request.CreateEngineBody(attempt.RequestId);
            var path = attempt.Request.Operation == CompletionOperation.Chat && !attempt.Request.RenderedChat ? ChatCompletionsPath : CompletionsPath;
            var response = await client.SendAsync(lease.Engine, path, "both", attempt.RequestId, body, timeout, cancellationToken);
            if (response.Failure is { } failure)
            {
                return CompletionStart.Failed(failure);
            }

            started = true;
            return CompletionStart.Started(response, timeout, lease);
        }
        finally
        {
            if (!started)
            {
                timeout.Dispose();
                lease.Dispose();
            }
        }
    }
}
