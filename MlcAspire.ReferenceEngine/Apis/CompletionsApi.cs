using MlcAspire.ReferenceEngine.Serving;

namespace MlcAspire.ReferenceEngine.Apis;

/// <summary><c>POST /v1/completions</c> (mlc-protocol.md §2.2–2.5).</summary>
internal static class CompletionsApi
{
    public static RouteGroupBuilder MapCompletionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1").AddEndpointFilter<ApiKeyFilter>();
        api.MapPost("/completions", CreateCompletionAsync)
            .WithName("CreateCompletion")
            .WithSummary("Generates a completion for a prompt, streamed as SSE when stream is true.")
            .WithTags("OpenAI");
        return api;
    }

    public static async Task<IResult> CreateCompletionAsync(HttpContext context, CompletionGateway gateway, CancellationToken cancellationToken)
    {
        var (request, error) = await CompletionRequestReader.ReadAsync(context.Request, cancellationToken);
        if (request is null)
        {
            return error!;
        }

        var (prepared, invalid) = gateway.Prepare(request);
        if (prepared is null)
        {
            return invalid!;
        }

        var id = request.User ?? "cmpl-" + Guid.NewGuid().ToString("N");
        var ticket = gateway.Submit(id, RequestKind.Generate, prepared, request, cancellationToken);
        return await gateway.RespondAsync(context, request, prepared, ticket, cancellationToken);
    }
}
