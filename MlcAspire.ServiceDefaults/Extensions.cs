using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Adds the services every MlcAspire process shares: service discovery, resilience-free HTTP client
/// defaults, health checks and OpenTelemetry. Started from Aspire's service-defaults template.
/// </summary>
/// <remarks>
/// Reference this project from each service project. See https://aka.ms/dotnet/aspire/service-defaults.
/// </remarks>
public static class Extensions
{
    /// <summary>The path the AppHost's runner and orchestrators probe for readiness.</summary>
    public const string HealthEndpointPath = "/health";

    /// <summary>The liveness path: answers as long as the process can serve HTTP.</summary>
    public const string AlivenessEndpointPath = "/alive";

    /// <summary>GETs that only probe a service (health, readiness, the engine's model list, metrics scrapes): never traced.</summary>
    private static readonly string[] s_probePaths = [HealthEndpointPath, AlivenessEndpointPath, "/v1/models", "/metrics"];

    private static bool IsProbe(string method, PathString path) =>
        HttpMethods.IsGet(method) && s_probePaths.Any(probe => path.StartsWithSegments(probe));

    /// <summary>The tag of the checks <c>/alive</c> runs: the process is up. Nothing else belongs there.</summary>
    public const string LivenessTag = "live";

    /// <summary>
    /// The tag of a service's readiness checks (can it serve its requests now?). <c>/health</c> runs them with every other
    /// check, so Aspire's <c>WaitFor</c>, the dashboard and an orchestrator's readiness probe see them; <c>/alive</c> does not.
    /// </summary>
    public const string ReadinessTag = "ready";

    /// <summary>The prefix of every ActivitySource and Meter the solution's own code creates.</summary>
    public const string TelemetryPrefix = "MlcAspire.";

    /// <summary>Adds service discovery, HTTP client defaults, health checks, OpenTelemetry and Kestrel's timeouts.</summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();

        builder.ConfigureServerLimits();

        builder.AddDefaultHealthChecks();

        builder.Services.AddServiceDiscovery();

        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            // Unlike the template, no standard resilience handler by default: its 10 s attempt and 30 s total
            // timeouts cut long token streams, and its retries would repeat a generation POST
            // (dotnet/extensions#5248). Clients whose calls are short and idempotent opt in themselves.
            http.AddServiceDiscovery();
        });

        return builder;
    }

    /// <summary>Applies <see cref="ServerLimitsOptions"/> to Kestrel, validated at start.</summary>
    public static TBuilder ConfigureServerLimits<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<ServerLimitsOptions>()
            .BindConfiguration(ServerLimitsOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(
                limits => limits.RequestHeadersTimeout > TimeSpan.Zero && limits.KeepAliveTimeout > TimeSpan.Zero,
                $"{ServerLimitsOptions.SectionName}:{nameof(ServerLimitsOptions.RequestHeadersTimeout)} and {nameof(ServerLimitsOptions.KeepAliveTimeout)} must be positive.")
            // Kestrel checks rates once a second and refuses a grace period that is not longer.
            .Validate(
                limits => limits.MinRequestBodyGracePeriod > TimeSpan.FromSeconds(1),
                $"{ServerLimitsOptions.SectionName}:{nameof(ServerLimitsOptions.MinRequestBodyGracePeriod)} must be longer than 1 s.")
            .ValidateOnStart();
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<ServerLimitsOptions>>((kestrel, options) =>
        {
            var limits = options.Value;
            kestrel.Limits.RequestHeadersTimeout = limits.RequestHeadersTimeout;
            kestrel.Limits.KeepAliveTimeout = limits.KeepAliveTimeout;
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(limits.MinRequestBodyBytesPerSecond, limits.MinRequestBodyGracePeriod);
        });
        return builder;
    }

    /// <summary>Configures logging, metrics and tracing, exporting over OTLP when an endpoint is configured.</summary>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddMeter(TelemetryPrefix + "*")
                    // Served only where a service maps it (MapPrometheusMetrics); collection is cheap either way.
                    // No response cache: the exporter's default 300 ms would answer two scrapes that close with the
                    // same numbers, which hides the traffic in between from a script or a test reading /metrics.
                    .AddPrometheusExporter(options => options.ScrapeResponseCacheDurationMilliseconds = 0);
            })
            .WithTracing(tracing =>
            {
                tracing.AddSource(builder.Environment.ApplicationName)
                    .AddSource(TelemetryPrefix + "*")
                    // Probes arrive every few seconds (Aspire's health checks on /health and /v1/models, the router's
                    // readiness probes of its engines, Prometheus scrapes); in the dashboard they would drown real traffic.
                    .AddAspNetCoreInstrumentation(options => options.Filter = context => !IsProbe(context.Request.Method, context.Request.Path))
                    .AddHttpClientInstrumentation(options => options.FilterHttpRequestMessage = request =>
                        request.RequestUri is not { } uri || !IsProbe(request.Method.Method, uri.AbsolutePath));
            });

        builder.AddOpenTelemetryExporters();

        return builder;
    }

    /// <summary>True when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, as the AppHost sets it for every resource.</summary>
    public static bool IsOtlpExporterEnabled(this IHostApplicationBuilder builder) =>
        !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

    private static TBuilder AddOpenTelemetryExporters<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        if (builder.IsOtlpExporterEnabled())
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>Adds the "self" liveness check; services add their own readiness checks beside it.</summary>
    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LivenessTag]);

        return builder;
    }

    /// <summary>
    /// Maps the OpenTelemetry metrics as Prometheus text at <paramref name="path"/>, for scrapers that do not
    /// speak OTLP. The reference engine does not call this: its <c>/metrics</c> is MLC's own.
    /// </summary>
    public static IEndpointConventionBuilder MapPrometheusMetrics(this WebApplication app, string path = "/metrics") =>
        app.MapPrometheusScrapingEndpoint(path);

    /// <summary>
    /// Maps <c>/health</c> (every check: liveness and the <see cref="ReadinessTag"/> checks) and <c>/alive</c> (only the
    /// <see cref="LivenessTag"/> checks).
    /// </summary>
    /// <remarks>
    /// The template maps these only in Development. MlcAspire maps them in every environment: the AppHost's
    /// runner waits on them before it wires a resource, and orchestrators probe them the same way. They
    /// report no details, only the status word.
    /// </remarks>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthEndpointPath);

        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(LivenessTag)
        });

        return app;
    }
}
