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
    public static string ModelDirectory { get; } = FindModelDirectory();

    /// <summary>Settings for <paramref name="engines"/> (name, role, PE start, address) in the <c>Router__*</c> / <c>services__*</c> form.</summary>
    public static Dictionary<string, string?> Settings(string mode, IReadOnlyList<(string Role, FakeEngine Engine)> engines, double balance = 0)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Router:Mode"] = mode,
            ["Router:Model"] = ModelDirectory,
            ["Router:PdBalanceFactor"] = balance.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Router:PreemptBackoff"] = "00:00:00.001",
        };
        for (var k = 0; k < engines.Count; k++)
        {
            settings[$"Router:Engines:{k}:Name"] = $"engine-{k}";
            settings[$"Router:Engines:{k}:Role"] = engines[k].Role;
            settings[$"Router:Engines:{k}:PeStart"] = (k * 2).ToString(System.Globalization.CultureInfo.InvariantCulture);
            settings[$"services:engine-{k}:http:0"] = engines[k].Engine.Address.ToString().TrimEnd('/');
        }

        return settings;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(settings));
        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        if (configureServices is not null)
        {
            builder.ConfigureServices(configureServices);
        }
    }

    private static string FindModelDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "models", "reference-tiny");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("models/reference-tiny was not found above the test binaries.");
    }
}
