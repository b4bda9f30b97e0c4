using Microsoft.AspNetCore.Http.HttpResults;

namespace MlcAspire.Router.Apis;

/// <summary><c>GET /router/status</c>: the router's mode and settings and every engine's live load.</summary>
public static class RouterStatusApi
{
    public static RouteGroupBuilder MapRouterStatusApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/router");

        api.MapGet("/status", GetStatus)
            .WithName("GetRouterStatus")
            .WithSummary("The router's settings and each engine's role, address and load")
            .WithTags("Router");

        return api;
    }

    public static Ok<RouterStatus> GetStatus(EngineScheduler scheduler, IOptions<RouterOptions> options)
    {
        var settings = options.Value;
        return TypedResults.Ok(new RouterStatus(
            RouterModeNames.Format(settings.Mode),
            settings.Model,
            settings.PdBalanceFactor,
            scheduler.Routing.PdBalanceAdaptive,
            scheduler.Routing.RoutingPolicy == RoutingPolicy.CacheAware ? "cache-aware" : "least-loaded",
            settings.MaxPreemptRetries,
            [.. scheduler.Engines.Select((engine, i) => new EngineStatus(
                engine.Name, engine.BaseAddress.ToString(), engine.Role.ToString(), engine.PeStart,
                engine.ActiveRequests, engine.TotalRequests, engine.FailedRequests,
                engine.Health.State.ToString(), engine.Health.LastFailure, Status(scheduler.Prefixes[i]), engine.IsDrained))]));
    }

    private static PrefixIndexStatus Status(PrefixIndex index)
    {
        var blocks = index.Count;
        return new PrefixIndexStatus(blocks, (long)blocks * index.BlockSize, index.ApproximateBytes, Math.Round(index.HitRate, 4));
    }
}
