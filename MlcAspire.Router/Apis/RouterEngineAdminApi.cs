using Microsoft.AspNetCore.Http.HttpResults;

namespace MlcAspire.Router.Apis;

/// <summary>
/// <c>POST /router/engines/{name}/drain</c> and <c>/undrain</c>: an operator takes an engine out of rotation (no new
/// work; the requests it serves run to their end) and puts it back, e.g. from the Aspire dashboard's engine commands.
/// When <c>Router__ApiKey</c> is set they need it, whatever <c>ProtectOperationalEndpoints</c> says.
/// </summary>
public static class RouterEngineAdminApi
{
    public const string RoutePrefix = "/router/engines";

    public static RouteGroupBuilder MapRouterEngineAdminApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(RoutePrefix).WithTags("Router");

        api.MapPost("/{name}/drain", (string name, EngineScheduler scheduler) => SetDrained(scheduler, name, drained: true))
            .WithName("DrainEngine")
            .WithSummary("Stop routing new work to the engine; its requests in flight finish");

        api.MapPost("/{name}/undrain", (string name, EngineScheduler scheduler) => SetDrained(scheduler, name, drained: false))
            .WithName("UndrainEngine")
            .WithSummary("Route new work to the engine again");

        return api;
    }

    /// <summary>The engine's status after the change, or a 404 naming the engines the router has.</summary>
    public static Results<Ok<EngineDrainStatus>, OpenAIErrorResult> SetDrained(EngineScheduler scheduler, string name, bool drained)
    {
        var engine = scheduler.Engines.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.Ordinal));
        if (engine is null)
        {
            return new RequestError(StatusCodes.Status404NotFound,
                $"The router has no engine named '{name}'; its engines: {string.Join(", ", scheduler.Engines.Select(e => e.Name))}.",
                "name", "engine_not_found").ToResult();
        }

        engine.IsDrained = drained;
        return TypedResults.Ok(new EngineDrainStatus(engine.Name, engine.IsDrained, engine.ActiveRequests));
    }
}
