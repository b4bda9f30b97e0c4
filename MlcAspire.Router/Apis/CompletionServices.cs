namespace MlcAspire.Router.Apis;

/// <summary>What the completion endpoint uses; a bag because it needs more than three services.</summary>
public sealed record CompletionServices(
    ICompletionStrategy Strategy,
    IPromptTokenizer Tokenizer,
    CompletionRelay Relay,
    IOptions<RouterOptions> Options,
    IOptions<RequestLimitsOptions> Limits,
    TimeProvider TimeProvider,
    IOptions<RoutingOptions> Routing,
    ILogger<CompletionServices> Logger);
