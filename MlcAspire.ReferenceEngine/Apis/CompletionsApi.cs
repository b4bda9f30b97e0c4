using MlcAspire.ReferenceEngine.Protocol;
using MlcAspire.ReferenceEngine.Serving;

namespace MlcAspire.ReferenceEngine.Apis;

/// <summary><c>POST /v1/completions</c> (mlc-protocol.md §2.2–2.5) and <c>POST /v1/chat/completions</c>.</summary>
internal static class CompletionsApi
{
    public static RouteGroupBuilder MapCompletionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1").AddEndpointFilter<ApiKeyFilter>();
        api.MapPost("/completions", CreateCompletionAsync)
            .WithName("CreateCompletion")
            .WithSummary("Generates a completion for a prompt, streamed as SSE when stream is true.")
            .WithTags("OpenAI");
        api.MapPost("/chat/completions", CreateChatCompletionAsync)
            .WithName("CreateChatCompletion")
            .WithSummary("Generates the assistant's reply to a conversation, rendered with the model's conversation template.")
            .WithTags("OpenAI");
        return api;
    }

    public static async Task<IResult> CreateCompletionAsync(
        HttpContext context, RequestValidator validator, CompletionGateway gateway, CancellationToken cancellationToken) =>
        await GenerateAsync(
            context, await CompletionRequestReader.ReadAsync(context.Request, cancellationToken), validator.Prepare,
            (request, prepared) => new TextCompletionShape(request, prepared), "cmpl-", gateway, cancellationToken);

    /// <summary>
    /// <c>POST /v1/chat/completions</c>: MLC's engine renders the conversation with the model's template, tokenizes it
    /// (with the template's prefix ids) and generates with the template's stops, then answers in chat's shapes.
    /// </summary>
    public static async Task<IResult> CreateChatCompletionAsync(
        HttpContext context, RequestValidator validator, CompletionGateway gateway, CancellationToken cancellationToken) =>
        await GenerateAsync(
            context, await CompletionRequestReader.ReadChatAsync(context.Request, cancellationToken), validator.Prepare,
            (request, prepared) => new ChatCompletionShape(request, prepared), "chatcmpl-", gateway, cancellationToken);

    /// <summary>Validates a read request, hands it to the engine loop under its id (<c>user</c>, else a new one) and answers.</summary>
    private static async Task<IResult> GenerateAsync<TRequest>(
        HttpContext context,
        (TRequest? Request, IResult? Error) read,
        Func<TRequest, (PreparedCompletion? Prepared, IResult? Error)> prepare,
        Func<TRequest, PreparedCompletion, IResponseShape> shape,
        string idPrefix,
        CompletionGateway gateway,
        CancellationToken cancellationToken)
        where TRequest : SamplingRequest
    {
        if (read.Request is not { } request)
        {
            return read.Error!;
        }

        var (prepared, invalid) = prepare(request);
        if (prepared is null)
        {
            return invalid!;
        }

        var id = request.User ?? idPrefix + Guid.NewGuid().ToString("N");
        var ticket = gateway.Submit(id, RequestKind.Generate, prepared, null, cancellationToken);
        return await gateway.RespondAsync(context, request, shape(request, prepared), ticket, cancellationToken);
    }
}
