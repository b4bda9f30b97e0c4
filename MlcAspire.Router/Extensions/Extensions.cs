using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace MlcAspire.Router.Extensions;

public static class Extensions
{
    /// <summary>Registers options, the engine client, the scheduler and the mode's completion strategy.</summary>
    public static void AddRouterServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RouterOptions>()
            .BindConfiguration(RouterOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RouterOptions>, RouterOptionsValidator>();
        builder.Services.AddOptions<RequestLimitsOptions>()
            .BindConfiguration(RequestLimitsOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RequestLimitsOptions>, RequestLimitsOptionsValidator>();
        builder.Services.AddOptions<RoutingOptions>()
            .BindConfiguration(RoutingOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.TryAddSingleton(TimeProvider.System);

        // The request's work continues on the thread-pool worker that received its bytes, instead of a second worker
        // woken for it. Socket completions still reach the pool (DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS is not
        // set), so no request runs on the epoll thread.
        builder.Services.Configure<SocketTransportOptions>(options => options.UnsafePreferInlineScheduling = true);
        builder.Services.Configure<JsonOptions>(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, RouterJsonContext.Default));

        // Pooled connections; the budget is owned per phase by the caller (ActivityTimeout), so no client timeout
        // and no resilience handler, whose retries would repeat a generation POST (dotnet/extensions#5248).
        // No IHttpClientFactory loggers either: they open a log scope and write two events for every engine call,
        // on the hot path, while EngineClient already logs every failure with the engine and request id (RouterLog).
        builder.Services.AddHttpClient<EngineClient>(client => client.Timeout = Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();

        builder.AddRouterReliability();
        builder.Services.AddSingleton<EngineScheduler>();
        builder.Services.AddHostedService<EngineHealthMetrics>();
        builder.Services.AddSingleton<IPromptTokenizer, ModelPromptTokenizer>();
        builder.Services.AddSingleton<CompletionRelay>();
        builder.Services.AddSingleton<RoundRobinStrategy>();
        builder.Services.AddSingleton<DisaggregatedStrategy>();

        // The extension point: a strategy registered by the application replaces this one (TryAdd).
        builder.Services.TryAddSingleton<ICompletionStrategy>(services =>
            services.GetRequiredService<IOptions<RouterOptions>>().Value.Mode switch
            {
                RouterMode.RoundRobin => services.GetRequiredService<RoundRobinStrategy>(),
                _ => services.GetRequiredService<DisaggregatedStrategy>(),
            });
    }
}
