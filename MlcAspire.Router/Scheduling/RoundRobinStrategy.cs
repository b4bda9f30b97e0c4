namespace MlcAspire.Router.Scheduling;

/// <summary>Whole requests to one engine's <c>/v1/completions</c>, rotating among the least loaded; no tokenizing (mlc-protocol.md W15).</summary>
internal sealed class RoundRobinStrategy(
    EngineScheduler scheduler, EngineClient client, TimeProvider timeProvider, IOptions<RouterOptions> options) : ICompletionStrategy
{
    public const string CompletionsPath = "v1/completions";

    private readonly RouterOptions _options = options.Value;

    public bool RequiresPromptTokens => false;

    public async ValueTask<CompletionStart> StartAsync(CompletionAttempt attempt, CancellationToken cancellationToken)
    {
        var lease = scheduler.Acquire(EngineSelection.Any);
        if (lease is null)
        {
            return CompletionStart.Failed(new EngineFailure(EngineCallError.NoHealthyEngine, scheduler.Unavailability ?? "No engine is in rotation; try again later."));
        }

        var timeout = new ActivityTimeout(timeProvider, _options.GenerationTimeout(attempt.Request), cancellationToken);
        var started = false;
        try
        {
            var body = attempt.Request.CreateEngineBody(attempt.RequestId);
            var response = await client.SendAsync(lease.Engine, CompletionsPath, "both", attempt.RequestId, body, timeout, cancellationToken);
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
