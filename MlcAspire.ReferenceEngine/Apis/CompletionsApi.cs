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
        HttpContext context, RequestValidator validator, CompletionGateway gateway, CancellationToken cancellationToken)
    {
        var (request, error) = await CompletionRequestReader.ReadAsync(context.Request, cancellationToken);
        if (request is null)
        {
            return error!;
        }

        var (prepared, invalid) = validator.Prepare(request);
        if (prepared is null)
        {
            return invalid!;
        }

        var id = request.User ?? "cmpl-" + Guid.NewGuid().ToString("N");
        var ticket = gateway.Submit(id, RequestKind.Generate, prepared, null, cancellationToken);
        return await gateway.RespondAsync(context, request, new TextCompletionShape(request, prepared), ticket, cancellationToken);
    }

    /// <summary>
    /// <c>POST /v1/chat/completions</c>: MLC's engine renders the conversation with the model's template, tokenizes it
    /// (with the template's prefix ids) and generates with the template's stops, then answers in chat's shapes.
    /// </summary>
    public static async Task<IResult> CreateChatCompletionAsync(
        HttpContext context, RequestValidator validator, CompletionGateway gateway, CancellationToken cancellationToken)
    {
        var (request, error) = await CompletionRequestReader.ReadChatAsync(context.Request, cancellationToken);
        if (request is null)
        {
            return error!;
        }

        var (prepared, invalid) = validator.Prepare(request);
        if (prepared is null)
        {
            return invalid!;
        }

        var id = request.User ?? "chatcmpl-" + Guid.NewGuid().ToString("N");
        var ticket = gateway.Submit(id, RequestKind.Generate, prepared, null, cancellationToken);
        return await gateway.RespondAsync(context, request, new ChatCompletionShape(request, prepared), ticket, cancellationToken);
    }
}
