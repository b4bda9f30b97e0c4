using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Microsoft.Playwright;

namespace MlcAspire.Tests.EndToEnd.Dashboard;

/// <summary>
/// The Aspire dashboard in a real browser (Playwright with Debian's Chromium, which .ci/run installs): the router and
/// the engines are listed Running and Healthy, and an engine's details show its placement.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class DashboardBrowserTests
{
    /// <summary>Debian's Chromium; Playwright's own browser builds are downloads this project cannot make.</summary>
    private const string ChromiumPath = "/usr/bin/chromium";

    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(150);

    [Fact]
    public async Task Dashboard_ListsRouterAndEnginesRunningAndHealthy_WithTheEnginesPlacement()
    {
        Assert.SkipUnless(File.Exists(ChromiumPath), $"{ChromiumPath} is not installed (apt-get install chromium; .ci/run does).");
        var token = TestContext.Current.CancellationToken;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(s_timeout);
        var dashboard = $"http://127.0.0.1:{FreePorts.Take().ToString(CultureInfo.InvariantCulture)}";

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.MlcAspire_AppHost>(
            [.. AspireApp.WithFreePorts([], keepEnginePorts: false)],
            (options, _) => options.DisableDashboard = false,
            timeout.Token);
        builder.Configuration["ASPNETCORE_URLS"] = dashboard;
        builder.Configuration["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://127.0.0.1:{FreePorts.Take().ToString(CultureInfo.InvariantCulture)}";
        builder.Configuration["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        builder.Configuration["ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS"] = "true";
        await using var app = await builder.BuildAsync(timeout.Token);
        await app.StartAsync(timeout.Token);
        await app.ResourceNotifications.WaitForResourceHealthyAsync(AspireApp.RouterName, timeout.Token);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumPath, Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync();
        await page.GotoAsync(dashboard);

        foreach (var resource in new[] { "router", "engine-0", "engine-1", "nvshmem-uid" })
        {
            var row = page.Locator("fluent-data-grid-row", new() { Has = page.GetByText(resource, new() { Exact = true }) });
            await Assertions.Expect(row.First).ToContainTextAsync("Running", new() { Timeout = 60_000 });
        }

        // An engine's details: its health and its placement, as the integration publishes them.
        await page.GetByText("engine-1", new() { Exact = true }).First.ClickAsync();
        foreach (var text in new[] { "Healthy", "Decode", "cuda:1", "models/reference-tiny" })
        {
            await Assertions.Expect(page.Locator("body")).ToContainTextAsync(text, new() { Timeout = 30_000 });
        }
    }
}
