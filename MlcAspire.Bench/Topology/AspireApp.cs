using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MlcAspire.AppHost.Topology;

namespace MlcAspire.Bench.Topology;

/// <summary>
/// The AppHost's application, started through <see cref="DistributedApplicationTestingBuilder"/> from the arguments a
/// user gives it, with its router's and engines' ports replaced by free ones (two apps on fixed ports would talk to
/// each other's processes). Extra environment per resource (fault switches, <c>Router__*</c> settings) is added to the
/// model before it is built, as an AppHost author would. The bench starts its topologies with it, the end-to-end tests
/// their applications.
/// </summary>
internal sealed class AspireApp : IAsyncDisposable
{
    public const string RouterName = "router";

    /// <summary>The budget of a whole start: build, DCP, the uid helper, the engines' joint init, the router.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(150);

    /// <summary>The budget of a stop (SIGTERM, the router's drain, DCP's cleanup).</summary>
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    private readonly DistributedApplication _app;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _logWatchers = [];

    private AspireApp(DistributedApplication app) => _app = app;

    public DistributedApplication Application => _app;

    public ResourceNotificationService Notifications => _app.ResourceNotifications;

    /// <summary>
    /// Creates and starts the application for <paramref name="args"/>; returns once the router is healthy (and with it,
    /// through its WaitFor, every engine). Resource output lines go to <paramref name="output"/> as <c>[name] line</c>.
    /// </summary>
    public static async Task<AspireApp> StartAsync(
        IReadOnlyList<string> args,
        CancellationToken cancellationToken,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? environment = null,
        IReadOnlyDictionary<string, Action<IList<object>>>? editArgs = null,
        TextWriter? output = null,
        bool keepEnginePorts = false,
        bool waitForRouter = true)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.MlcAspire_AppHost>(
            [.. WithFreePorts(args, keepEnginePorts)], timeout.Token);
        Configure(builder, environment, editArgs);

        // The host's own log: warnings only; failed health checks while the processes start are expected.
        builder.Services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Warning)
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None));
        var app = new AspireApp(await builder.BuildAsync(timeout.Token));
        try
        {
            await app._app.StartAsync(timeout.Token);

            // Once started, every resource's DCP instance is known (a project's logs are kept under it); the logger
            // replays what each resource wrote before.
            if (output is not null)
            {
                app.WatchLogs(output);
            }

            if (waitForRouter)
            {
                await app.Notifications.WaitForResourceHealthyAsync(RouterName, timeout.Token);
            }

            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>The AppHost's arguments with the router's port (and, unless <paramref name="keepEnginePorts"/>, every engine's) free.</summary>
    public static IReadOnlyList<string> WithFreePorts(IReadOnlyList<string> args, bool keepEnginePorts)
    {
        var read = TopologyReader.Read(args, new ConfigurationBuilder().Build());
        var topology = read.Options?.Topology ?? throw new ArgumentException(read.Error, nameof(args));
        List<string> result = [.. args, "--router-port", Port(FreePorts.Take())];
        if (!keepEnginePorts)
        {
            result.Add("--endpoint-ports");
            result.AddRange(Enumerable.Range(0, topology.EngineCount).Select(_ => Port(FreePorts.Take())));
        }

        return result;
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static void Configure(
        IDistributedApplicationTestingBuilder builder,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? environment,
        IReadOnlyDictionary<string, Action<IList<object>>>? editArgs)
    {
        foreach (var (name, variables) in environment ?? new Dictionary<string, IReadOnlyDictionary<string, string>>())
        {
            var resource = builder.CreateResourceBuilder(builder.Resources.OfType<IResourceWithEnvironment>().Single(r => r.Name == name));
            foreach (var (key, value) in variables)
            {
                resource.WithEnvironment(key, value);
            }
        }

        // Runs after the integration's own callbacks, so it sees (and may change) the resource's whole command line.
        foreach (var (name, edit) in editArgs ?? new Dictionary<string, Action<IList<object>>>())
        {
            builder.CreateResourceBuilder(builder.Resources.OfType<IResourceWithArgs>().Single(r => r.Name == name)).WithArgs(context => edit(context.Args));
        }
    }

    public HttpClient CreateHttpClient(string resourceName) => _app.CreateHttpClient(resourceName, "http");

    public Uri GetEndpoint(string resourceName) => _app.GetEndpoint(resourceName, "http");

    /// <summary>The resource's current snapshot.</summary>
    public CustomResourceSnapshot GetResource(string resourceName) =>
        Notifications.TryGetCurrentState(resourceName, out var resource)
            ? resource.Snapshot
            : throw new InvalidOperationException($"No resource '{resourceName}'.");

    /// <summary>The process id DCP reports for an executable or project resource.</summary>
    public int GetProcessId(string resourceName) =>
        Convert.ToInt32(GetResource(resourceName).Properties.Single(p => p.Name == "executable.pid").Value, CultureInfo.InvariantCulture);

    public Task WaitForResourceHealthyAsync(string resourceName, CancellationToken cancellationToken) =>
        Notifications.WaitForResourceHealthyAsync(resourceName, cancellationToken);

    /// <summary>Waits until the resource reports a state <paramref name="predicate"/> accepts (e.g. <c>Exited</c>).</summary>
    public async Task<CustomResourceSnapshot> WaitForStateAsync(string resourceName, Func<string?, bool> predicate, CancellationToken cancellationToken) =>
        (await Notifications.WaitForResourceAsync(resourceName, e => predicate(e.Snapshot.State?.Text), cancellationToken)).Snapshot;

    /// <summary>Kills the resource's process with SIGKILL, as a crash would, and waits until DCP reports it stopped.</summary>
    public async Task<CustomResourceSnapshot> KillResourceAsync(string resourceName, CancellationToken cancellationToken)
    {
        using (var process = Process.GetProcessById(GetProcessId(resourceName)))
        {
            process.Kill(entireProcessTree: true);
        }

        return await WaitForStateAsync(resourceName, IsStopped, cancellationToken);
    }

    public static bool IsStopped(string? state) =>
        state == KnownResourceStates.Exited || state == KnownResourceStates.Finished || state == KnownResourceStates.FailedToStart;

    /// <summary>Stops the application as Ctrl+C does.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StopTimeout);
        await _app.StopAsync(timeout.Token);
    }

    private void WatchLogs(TextWriter output)
    {
        var logs = _app.Services.GetRequiredService<ResourceLoggerService>();
        foreach (var resource in _app.Services.GetRequiredService<DistributedApplicationModel>().Resources)
        {
            _logWatchers.Add(Task.Run(async () =>
            {
                try
                {
                    await foreach (var batch in logs.WatchAsync(resource).WithCancellation(_stopping.Token))
                    {
                        foreach (var line in batch)
                        {
                            await output.WriteLineAsync($"[{resource.Name}] {line.Content}");
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                    // The application stopped.
                }
            }));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await _stopping.CancelAsync();
        await Task.WhenAll(_logWatchers);
        _stopping.Dispose();
    }
}
