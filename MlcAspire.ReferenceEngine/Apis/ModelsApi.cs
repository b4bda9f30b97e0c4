using MlcAspire.ReferenceEngine.Cli;
using MlcAspire.ReferenceEngine.Protocol;

namespace MlcAspire.ReferenceEngine.Apis;

/// <summary><c>GET /v1/models</c> (mlc-protocol.md §2.6), which routers poll for readiness.</summary>
internal static class ModelsApi
{
    public static RouteGroupBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1").AddEndpointFilter<ApiKeyFilter>();
        api.MapGet("/models", ListModels)
            .WithName("ListModels")
            .WithSummary("Lists the served model: the MODEL argument exactly as given.")
            .WithTags("OpenAI");
        return api;
    }

    public static IResult ListModels(EngineOptions options, TimeProvider timeProvider) =>
        TypedResults.Json(new ModelList([new ModelCard(options.Model, timeProvider.GetUtcNow().ToUnixTimeSeconds())]), EngineJson.Context.ModelList);
}
