extern alias RouterService;

using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MlcAspire.Tests.Functional.Router;

/// <summary>The real router in process, configured in memory the way the AppHost configures it through the environment.</summary>
internal sealed class RouterFactory(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? configureServices = null)
    : WebApplicationFactory<RouterService::Program>
{
    public static string ModelDirectory => RepositoryPaths.ReferenceTinyModel;

    public static Dictionary<string, string?> Settings(string mode, IReadOnlyList<(string Role, FakeEngine Engine)> engines, double balance = 0) =>
        Settings(mode, [.. engines.Select((e, k) => (e.Role, e.Engine.Address, k * 2))], balance);

    /// <summary>Settings for <paramref name="engines"/> (role, address, PE start) in the <c>Router__*</c> / <c>services__*</c> form.</summary>
    public static Dictionary<string, string?> Settings(string mode, IReadOnlyList<(string Role, Uri Address, int PeStart)> engines, double balance = 0)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Router:Mode"] = mode,
            ["Router:Model"] = ModelDirectory,
            ["Router:PdBalanceFactor"] = balance.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Router:PreemptBackoff"] = "00:00:00.001",
            // Fake engines fail on purpose and serve no readiness route: keep every engine in rotation.
            ["Router:FailureThreshold"] = "1000",
            ["Router:ProbeInterval"] = "01:00:00",
        };
        for (var k = 0; k < engines.Count; k++)
        {
            settings[$"Router:Engines:{k}:Name"] = $"engine-{k}";
            settings[$"Router:Engines:{k}:Role"] = engines[k].Role;
            settings[$"Router:Engines:{k}:PeStart"] = engines[k].PeStart.ToString(System.Globalization.CultureInfo.InvariantCulture);
            settings[$"services:engine-{k}:http:0"] = engines[k].Address.ToString().TrimEnd('/');
        }

        return settings;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // Configuration rules beat SetMinimumLevel, and appsettings.json asks for Information: override it there.
        builder.ConfigureAppConfiguration(config => config
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Warning" })
            .AddInMemoryCollection(settings));
        if (configureServices is not null)
        {
            builder.ConfigureServices(configureServices);
        }
    }
}
