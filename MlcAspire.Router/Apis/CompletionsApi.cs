using System.Globalization;
using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;

namespace MlcAspire.Router.Apis;

/// <summary>The OpenAI-compatible surface: <c>POST /v1/completions</c>, <c>POST /v1/chat/completions</c> and <c>GET /v1/models</c>.</summary>
public static class CompletionsApi
{
    public static RouteGroupBuilder MapCompletionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1");

        api.MapPost("/completions", CreateCompletionAsync)
            .WithName("CreateCompletion")
            .WithSummary("Create a completion, streamed (SSE) or not, on the engines behind the router")
            .WithTags("Completions");

        api.MapPost("/chat/completions", CreateChatCompletionAsync)
            .WithName("CreateChatCompletion")
            .WithSummary("Create a chat completion, streamed (SSE) or not: relayed to an engine's chat endpoint, or rendered with the model's conversation template and handed off")
            .WithTags("Chat");

        api.MapGet("/models", GetModels)
            .WithName("ListModels")
            .WithSummary("List the model the router serves")
            .WithTags("Models");

        return api;
    }

    /// <summary>Validates the body (400/404/413 before any engine is called), then hands it to the relay.</summary>
    /// <remarks>The body is read by hand rather than bound, so malformed JSON gets the OpenAI envelope, not a ProblemDetails.</remarks>
    public static Task<Results<CompletionResult, OpenAIErrorResult>> CreateCompletionAsync(
        HttpRequest request,
        [AsParameters] CompletionServices services,
        CancellationToken cancellationToken) =>
        HandleAsync(request, services, "prompt", body =>
        {
            var (completion, error) = CompletionRequestParser.Parse(body, services.Options.Value.Model, services.Limits.Value, services.Tokenizer.ContextWindowSize);
            if (completion is { N: > 1 } && services.Options.Value.Mode == RouterMode.Disagg)
            {
                return (null, RequestError.SeveralChoicesInHandoff);
            }

            if (completion is not null && services.Strategy.RequiresPromptTokens && completion.PromptText is { } text)
            {
                if (RefuseUnfit(services.Tokenizer, text, "prompt") is { } refused)
                {
                    return (null, refused);
                }

                completion.UseTokens(services.Tokenizer.Encode(text));
            }

            return (completion, error);
        }, cancellationToken);

    /// <summary>
    /// Validates a chat body like a completion's. A strategy that needs token ids (the handoff) gets the conversation
    /// rendered with the model's template and tokenized here, so the window check and every engine see those ids.
    /// </summary>
    public static Task<Results<CompletionResult, OpenAIErrorResult>> CreateChatCompletionAsync(
        HttpRequest request,
        [AsParameters] CompletionServices services,
        CancellationToken cancellationToken) =>
        HandleAsync(request, services, "messages", body =>
        {
            var (chat, error) = ChatRequestParser.Parse(body, services.Options.Value.Model, services.Limits.Value, services.Tokenizer.ContextWindowSize);
            if (chat is null || !services.Strategy.RequiresPromptTokens)
            {
                return (chat, error);
            }

            // A handoff needs the rendered conversation as its prompt; cache-aware routing only its token ids.
            var tokenizer = services.Tokenizer;
            RequestError? Refuse(string text) => RefuseUnfit(tokenizer, text, "messages");
            return services.Options.Value.Mode == RouterMode.Disagg
                ? ChatRequestParser.Render(chat, tokenizer.ConversationTemplate, tokenizer.Encode, Refuse)
                : (ChatRequestParser.WithRoutingTokens(chat, tokenizer.ConversationTemplate, tokenizer.Encode, Refuse), null);
        }, cancellationToken);

    private static async Task<Results<CompletionResult, OpenAIErrorResult>> HandleAsync(
        HttpRequest request,
        CompletionServices services,
        string promptField,
        Func<JsonNode?, (CompletionRequest? Request, RequestError? Error)> parse,
        CancellationToken cancellationToken)
    {
        var (body, bodyError) = await RequestBodyReader.ReadJsonAsync(
            request, services.Options.Value.MaxRequestBodyBytes, services.Limits.Value, services.TimeProvider, cancellationToken);
        if (bodyError is not null)
        {
            return Error(services, bodyError);
        }

        var (completion, error) = parse(body);
        return completion is null ? Error(services, error!) : Admit(request, completion, promptField, services);
    }

    private static Results<CompletionResult, OpenAIErrorResult> Admit(HttpRequest request, CompletionRequest completion, string promptField, CompletionServices services)
    {
        completion.PinSeed();
        completion.SessionId = request.Headers[services.Routing.Value.SessionHeader].FirstOrDefault() is { Length: <= RoutingOptions.MaxSessionIdLength } session
            ? session
            : null;
        if (completion.PromptTokens is { } tokens && services.Tokenizer.ContextWindowSize is { } window && tokens.Count >= window)
        {
            return Error(services, ContextLengthExceeded(tokens.Count.ToString(CultureInfo.InvariantCulture), window, promptField));
        }

        Activity.Current?.SetTag(RouterTelemetry.ModeTag, services.Options.Value.Mode.ToString());
        return new CompletionResult(completion, services.Relay);
    }

    public static Ok<ModelList> GetModels(IOptions<RouterOptions> options, TimeProvider timeProvider) =>
        TypedResults.Ok(new ModelList("list", [new ModelCard(options.Value.Model, timeProvider.GetUtcNow().ToUnixTimeSeconds(), "model", "MLC-LLM")]));

    /// <summary>Before tokenizing: a text that cannot fit costs its UTF-8 length to refuse, not a tokenization.</summary>
    private static RequestError? RefuseUnfit(IPromptTokenizer tokenizer, string text, string promptField) =>
        tokenizer.ContextWindowSize is { } window && tokenizer.MinimumTokenCount(text) is var least && least >= window
            ? ContextLengthExceeded($"at least {least}", window, promptField)
            : null;

    private static RequestError ContextLengthExceeded(string tokens, int window, string promptField) => RequestError.Invalid(
        $"The prompt has {tokens} tokens, which does not fit the model's context window of {window} tokens.", promptField, "context_length_exceeded");

    private static OpenAIErrorResult Error(CompletionServices services, RequestError error)
    {
        RouterLog.RequestRejected(services.Logger, error.Message);
        RouterMetrics.RecordRefused(services.Options.Value.Mode, "Rejected");
        return error.ToResult();
    }
}
