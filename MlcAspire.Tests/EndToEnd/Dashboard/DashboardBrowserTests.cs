using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
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
        var cancellationToken = TestContext.Current.CancellationToken;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_timeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.MlcAspire_AppHost>(
            [.. AspireApp.WithFreePorts([], keepEnginePorts: false)],
            (options, _) => options.DisableDashboard = false,
            timeout.Token);
        await using var app = await builder.BuildAsync(timeout.Token);
        await app.StartAsync(timeout.Token);
        await app.ResourceNotifications.WaitForResourceHealthyAsync(AspireApp.RouterName, timeout.Token);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumPath, Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync();
        // The dashboard's own login: its browser token, as the AppHost prints it in its login URL.
        var dashboard = app.GetEndpoint("aspire-dashboard", "http");
        var token = app.Services.GetRequiredService<IConfiguration>()["AppHost:BrowserToken"];
        await page.GotoAsync(new Uri(dashboard, $"/login?t={token}").ToString());

        // Each resource's row (its name cell reads "<type>: <name>") shows it Running; an unhealthy one would read
        // "Running (Unhealthy)".
        foreach (var resource in new[] { "Project: router", "ReferenceEngine: engine-0", "ReferenceEngine: engine-1", "NvshmemUid: nvshmem-uid" })
        {
            var row = page.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Gridcell, new() { Name = resource, Exact = true }) });
            await Assertions.Expect(row.GetByRole(AriaRole.Gridcell, new() { Name = "Running", Exact = true })).ToBeVisibleAsync(new() { Timeout = 60_000 });
        }

        // An engine's details: its health and its placement, as the integration publishes them.
        await page.GetByRole(AriaRole.Gridcell, new() { Name = "ReferenceEngine: engine-1", Exact = true }).ClickAsync();
        foreach (var text in new[] { "Healthy", "Role", "Decode", "cuda:1", "PE start", "models/reference-tiny" })
        {
            await Assertions.Expect(page.Locator("body")).ToContainTextAsync(text, new() { Timeout = 30_000 });
        }
    }
}
