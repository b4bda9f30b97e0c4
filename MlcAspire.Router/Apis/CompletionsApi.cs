using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace MlcAspire.Router.Apis;

/// <summary>The OpenAI-compatible surface: <c>POST /v1/completions</c> and <c>GET /v1/models</c>.</summary>
public static class CompletionsApi
{
    public static RouteGroupBuilder MapCompletionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1");

        api.MapPost("/completions", CreateCompletionAsync)
            .WithName("CreateCompletion")
            .WithSummary("Create a completion, streamed (SSE) or not, on the engines behind the router")
            .WithTags("Completions");

        api.MapGet("/models", GetModels)
            .WithName("ListModels")
            .WithSummary("List the model the router serves")
            .WithTags("Models");

        return api;
    }

    /// <summary>Validates the body (400/404/413 before any engine is called), then hands it to the relay.</summary>
    /// <remarks>The body is read by hand rather than bound, so malformed JSON gets the OpenAI envelope, not a ProblemDetails.</remarks>
    public static async Task<Results<CompletionResult, OpenAIErrorResult>> CreateCompletionAsync(
        HttpRequest request,
        [AsParameters] CompletionServices services,
        CancellationToken cancellationToken)
    {
        var limits = services.Limits.Value;
        var (body, bodyError) = await RequestBodyReader.ReadJsonAsync(request, services.Options.Value.MaxRequestBodyBytes, limits, services.TimeProvider, cancellationToken);
        if (bodyError is not null)
        {
            return Error(services, bodyError);
        }

        var window = services.Tokenizer.ContextWindowSize;
        var (completion, error) = CompletionRequestParser.Parse(body, services.Options.Value.Model, limits, window);
        if (completion is null)
        {
            return Error(services, error!);
        }

        completion.PinSeed();
        completion.SessionId = request.Headers[services.Routing.Value.SessionHeader].FirstOrDefault() is { Length: <= RoutingOptions.MaxSessionIdLength } session
            ? session
            : null;
        if (services.Strategy.RequiresPromptTokens && completion.PromptText is { } text)
        {
            // Before tokenizing: a text that cannot fit costs its UTF-8 length to refuse, not a tokenization.
            if (window is { } textWindow && services.Tokenizer.MinimumTokenCount(text) is var least && least >= textWindow)
            {
                return Error(services, ContextLengthExceeded($"at least {least}", textWindow));
            }

            completion.UseTokens(services.Tokenizer.Encode(text));
        }

        if (completion.PromptTokens is { } tokens && window is { } tokenWindow && tokens.Count >= tokenWindow)
        {
            return Error(services, ContextLengthExceeded(tokens.Count.ToString(CultureInfo.InvariantCulture), tokenWindow));
        }

        Activity.Current?.SetTag(RouterTelemetry.ModeTag, services.Options.Value.Mode.ToString());
        return new CompletionResult(completion, services.Relay);
    }

    public static Ok<ModelList> GetModels(IOptions<RouterOptions> options, TimeProvider timeProvider) =>
        TypedResults.Ok(new ModelList("list", [new ModelCard(options.Value.Model, timeProvider.GetUtcNow().ToUnixTimeSeconds(), "model", "MLC-LLM")]));

    private static RequestError ContextLengthExceeded(string tokens, int window) => RequestError.Invalid(
        $"The prompt has {tokens} tokens, which does not fit the model's context window of {window} tokens.", "prompt", "context_length_exceeded");

    private static OpenAIErrorResult Error(CompletionServices services, RequestError error)
    {
        RouterLog.RequestRejected(services.Logger, error.Message);
        RouterMetrics.RecordRefused(services.Options.Value.Mode, "Rejected");
        return error.ToResult();
    }
}
