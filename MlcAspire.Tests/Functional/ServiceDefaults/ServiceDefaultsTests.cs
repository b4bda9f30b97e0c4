using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Trace;

namespace MlcAspire.Tests.Functional.ServiceDefaults;

/// <summary>The shared wiring, exercised on real Kestrel servers bound to free loopback ports.</summary>
[Trait("Category", "Functional")]
public sealed class ServiceDefaultsTests
{
    private static CancellationToken CancellationToken => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/health")]
    [InlineData("/alive")]
    public async Task HealthEndpoints_AnswerHealthy_InProduction(string path)
    {
        await using var app = await StartAsync(new Dictionary<string, string?>());
        using var client = new HttpClient { BaseAddress = BaseAddress(app) };

        using var response = await client.GetAsync(path, CancellationToken);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync(CancellationToken));
    }

    [Fact]
    public async Task PrometheusMetrics_AfterRequests_ExposesHttpServerDuration()
    {
        await using var app = await StartAsync(new Dictionary<string, string?>(), mapMetrics: true);
        using var client = new HttpClient { BaseAddress = BaseAddress(app) };
        using (await client.GetAsync("/alive", CancellationToken))
        {
        }

        using var response = await client.GetAsync("/metrics", CancellationToken);
        var text = await response.Content.ReadAsStringAsync(CancellationToken);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("http_server_request_duration_seconds_count{", text);
    }

    [Fact]
    public void ServerLimits_ReachKestrel_AndAnInvalidGracePeriodFailsAtStart()
    {
        using var configured = CreateBuilder(new Dictionary<string, string?>
        {
            ["ServerLimits:RequestHeadersTimeout"] = "00:00:07",
            ["ServerLimits:MinRequestBodyBytesPerSecond"] = "1000",
        }).Build();
        var limits = configured.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>>().Value.Limits;

        Assert.Equal(TimeSpan.FromSeconds(7), limits.RequestHeadersTimeout);
        Assert.Equal(TimeSpan.FromSeconds(130), limits.KeepAliveTimeout);
        Assert.Equal(1000, limits.MinRequestBodyDataRate!.BytesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(5), limits.MinRequestBodyDataRate.GracePeriod);

        // Kestrel reads its options when the application is built, so a bad value stops the service there.
        var invalid = CreateBuilder(new Dictionary<string, string?> { ["ServerLimits:MinRequestBodyGracePeriod"] = "00:00:01" });
        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => invalid.Build());
        Assert.Contains("ServerLimits:MinRequestBodyGracePeriod", error.Message);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("http://127.0.0.1:4318", true)]
    public void OtlpExporter_IsRegistered_OnlyWithEndpointVariable(string? endpoint, bool registered)
    {
        var builder = CreateBuilder(new Dictionary<string, string?> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint });

        Assert.Equal(registered, builder.Services.Any(d => d.ServiceType.FullName!.Contains("Otlp", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task OtlpExporter_WithEndpointVariable_ExportsSpansToIt()
    {
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var collector = await StartCollectorAsync(received);
        await using var app = await StartAsync(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = BaseAddress(collector).ToString().TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        });

        using (var source = new ActivitySource("MlcAspire.Tests.ServiceDefaults"))
        using (source.StartActivity("exported-span"))
        {
        }
        Assert.True(app.Services.GetRequiredService<TracerProvider>().ForceFlush());

        Assert.Equal("/v1/traces", await received.Task.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken));
    }

    [Fact]
    public async Task HttpClients_ResolveLogicalNames_FromAspireServiceVariables()
    {
        await using var engine = await StartAsync(new Dictionary<string, string?>());
        await using var app = await StartAsync(new Dictionary<string, string?>
        {
            // The form Aspire injects as services__engine-0__http__0.
            ["services:engine-0:http:0"] = BaseAddress(engine).ToString(),
        });
        using var client = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient();

        using var response = await client.GetAsync("http://engine-0/alive", CancellationToken);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }

    private static WebApplicationBuilder CreateBuilder(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddServiceDefaults();
        return builder;
    }

    private static async Task<WebApplication> StartAsync(Dictionary<string, string?> settings, bool mapMetrics = false)
    {
        var app = CreateBuilder(settings).Build();
        app.MapDefaultEndpoints();
        if (mapMetrics)
        {
            app.MapPrometheusMetrics();
        }

        await app.StartAsync(CancellationToken);
        return app;
    }

    /// <summary>A stand-in OTLP/HTTP collector: it records the path of the first export it receives.</summary>
    private static async Task<WebApplication> StartCollectorAsync(TaskCompletionSource<string> received)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/v1/{signal}", (HttpContext context) =>
        {
            received.TrySetResult(context.Request.Path.Value!);
            return Results.Ok();
        });
        await app.StartAsync(CancellationToken);
        return app;
    }

    private static Uri BaseAddress(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
}
