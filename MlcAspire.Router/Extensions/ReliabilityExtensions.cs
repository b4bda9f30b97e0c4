using Microsoft.AspNetCore.Cors.Infrastructure;
using MlcAspire.Router.Admission;
using MlcAspire.Router.Security;

namespace MlcAspire.Router.Extensions;

/// <summary>Engine health, admission, the API key, CORS and graceful shutdown (docs/reliability.md).</summary>
public static class ReliabilityExtensions
{
    private const string CorsPolicy = "configured-origins";

    public static void AddRouterReliability(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RouterReliabilityOptions>()
            .BindConfiguration(RouterReliabilityOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RouterReliabilityOptions>, RouterReliabilityOptionsValidator>();

        builder.Services.AddSingleton<AdmissionGate>();
        builder.Services.AddSingleton<BodyBudget>();
        builder.Services.AddSingleton<ShutdownDrain>();
        builder.Services.AddHostedService<EngineHealthProbe>();
        builder.Services.AddHealthChecks().AddCheck<RouterReadinessCheck>(RouterReadinessCheck.Name, tags: [Microsoft.Extensions.Hosting.Extensions.ReadinessTag]);

        // Kestrel waits for in-flight requests until the host's shutdown timeout; the drain deadline ends them first.
        builder.Services.AddOptions<HostOptions>().Configure<IOptions<RouterReliabilityOptions>>((host, reliability) =>
            host.ShutdownTimeout = reliability.Value.DrainTimeout + TimeSpan.FromSeconds(5));

        // The policy exists only when origins are configured, and UseRouterReliability adds the middleware only then.
        builder.Services.AddCors();
        builder.Services.AddOptions<CorsOptions>().Configure<IOptions<RouterReliabilityOptions>>((cors, reliability) =>
        {
            if (reliability.Value.CorsOrigins is { Count: > 0 } origins)
            {
                cors.AddPolicy(CorsPolicy, policy =>
                    policy.WithOrigins([.. origins]).WithMethods(HttpMethods.Get, HttpMethods.Post).WithHeaders("Authorization", "Content-Type"));
            }
        });
    }

    /// <summary>CORS (only when origins are configured), then the API key (only when one is set), then admission.</summary>
    public static WebApplication UseRouterReliability(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<RouterReliabilityOptions>>().Value;
        if (options.CorsOrigins.Count > 0)
        {
            app.UseCors(CorsPolicy);
        }

        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            app.UseMiddleware<ApiKeyMiddleware>();
        }

        app.UseMiddleware<AdmissionMiddleware>();
        return app;
    }
}
