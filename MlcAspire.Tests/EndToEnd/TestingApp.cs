using Microsoft.Extensions.Logging.Abstractions;
using MlcAspire.AppHost;
using MlcAspire.AppHost.Planning;
using MlcAspire.AppHost.Running;

namespace MlcAspire.Tests.EndToEnd;

/// <summary>
/// The AppHost's deployment, started by its own runner, in the shape of Aspire's DistributedApplicationTestingBuilder
/// (Aspire.Hosting.Testing is not served here, see ARCHITECTURE.md): created from the same arguments the AppHost
/// takes with every port replaced by a free one, held with <c>await using</c>, started with
/// <c>StartAsync(ct).WaitAsync(timeout, ct)</c>, reached by resource name.
/// </summary>
internal sealed class TestingApp : IAsyncDisposable
{
    /// <summary>The budget of each startup phase (uid, engines, router); the processes usually need a few seconds.</summary>
    public static readonly TimeSpan PhaseTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The budget of a whole start, for <c>StartAsync(ct).WaitAsync(DefaultTimeout, ct)</c>.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(150);

    private readonly AppRunner _runner;

    private TestingApp(AppPlan plan, TextWriter output)
    {
        Plan = plan;
        var paths = ProgramPaths.FromBuild();
        _runner = new AppRunner(plan, new RunnerOptions { PhaseTimeout = PhaseTimeout }, new ResourceOutput(output), paths.AppHostDll, NullLogger<AppRunner>.Instance);
    }

    public AppPlan Plan { get; }

    public IReadOnlyList<ResourceSnapshot> Resources => _runner.Snapshots;

    /// <summary>Every state change the runner saw, in order (the NVSHMEM helper's stop included).</summary>
    public IReadOnlyList<ResourceStateChange> History => _runner.History;

    /// <summary>Plans the topology the AppHost would run for <paramref name="args"/>, on free ports.</summary>
    public static TestingApp Create(params string[] args) => Create(TextWriter.Null, new Dictionary<string, IReadOnlyDictionary<string, string>>(), args);

    /// <summary>
    /// As <see cref="Create(string[])"/>, with extra environment variables per resource name (router settings such as
    /// <c>Router__IdleTimeout</c>, or an engine's <c>MLC_REFERENCE_FAULTS</c>), as an AppHost user would add them.
    /// </summary>
    public static TestingApp Create(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> environment, params string[] args) =>
        Create(TextWriter.Null, environment, args);

    /// <summary>As <see cref="Create(string[])"/>, writing every resource's output lines (<c>[name] line</c>) to <paramref name="output"/>.</summary>
    public static TestingApp Create(TextWriter output, params string[] args) =>
        Create(output, new Dictionary<string, IReadOnlyDictionary<string, string>>(), args);

    /// <summary>
    /// As <see cref="Create(string[])"/>, with arguments appended to some resources' command lines, by resource name
    /// (e.g. a flag an engine rejects, so that it exits during startup).
    /// </summary>
    public static TestingApp Create(IReadOnlyDictionary<string, IReadOnlyList<string>> extraArgs, params string[] args)
    {
        var plan = PlanFor(new Dictionary<string, IReadOnlyDictionary<string, string>>(), args);
        return new TestingApp(plan with
        {
            Engines = [.. plan.Engines.Select(engine => WithArgs(engine, extraArgs))],
            Router = WithArgs(plan.Router, extraArgs),
        }, TextWriter.Null);
    }

    private static TestingApp Create(TextWriter output, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> environment, string[] args) =>
        new(PlanFor(environment, args), output);

    private static AppPlan PlanFor(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> environment, string[] args)
    {
        var plan = ArgumentPlanner.Plan(args, FreePorts.Take);
        return plan with
        {
            Engines = [.. plan.Engines.Select(engine => WithEnvironment(engine, environment))],
            Router = WithEnvironment(plan.Router, environment),
        };
    }

    /// <summary>
    /// Plans the router alone, exactly as the AppHost would for <paramref name="args"/>, in front of engines that
    /// already run (see <see cref="ArgumentPlanner.PlanRouter"/>), with <paramref name="environment"/> added to its own.
    /// </summary>
    public static TestingApp CreateRouter(IReadOnlyList<RunningEngine> engines, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        new(ArgumentPlanner.PlanRouter(engines, environment, args, FreePorts.Take), TextWriter.Null);

    private static ResourcePlan WithEnvironment(ResourcePlan resource, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> environment) =>
        environment.TryGetValue(resource.Name, out var extra) ? resource.WithEnvironment(extra) : resource;

    private static ResourcePlan WithArgs(ResourcePlan resource, IReadOnlyDictionary<string, IReadOnlyList<string>> extraArgs) =>
        extraArgs.TryGetValue(resource.Name, out var extra) ? resource with { Args = [.. resource.Args, .. extra] } : resource;

    public Task StartAsync(CancellationToken cancellationToken) => _runner.StartAsync(cancellationToken);

    public Uri GetEndpoint(string resourceName) => _runner.GetEndpoint(resourceName);

    public HttpClient CreateHttpClient(string resourceName) => new() { BaseAddress = GetEndpoint(resourceName) };

    public ResourceSnapshot GetResource(string resourceName) => _runner.GetSnapshot(resourceName);

    public Task<ResourceSnapshot> WaitForResourceHealthyAsync(string resourceName, CancellationToken cancellationToken) =>
        _runner.WaitForStateAsync(resourceName, state => state == ResourceState.Running, cancellationToken);

    /// <summary>Waits until the runner reports a state of the resource that <paramref name="predicate"/> accepts.</summary>
    public Task<ResourceSnapshot> WaitForResourceStateAsync(string resourceName, Func<ResourceState, bool> predicate, CancellationToken cancellationToken) =>
        _runner.WaitForStateAsync(resourceName, predicate, cancellationToken);

    /// <summary>Kills the resource's process tree, as a crash would, and returns the state the runner reports.</summary>
    public Task<ResourceSnapshot> KillResourceAsync(string resourceName, CancellationToken cancellationToken) =>
        _runner.KillAsync(resourceName, cancellationToken);

    /// <summary>Stops the deployment as Ctrl+C does: the router (SIGTERM, its drain), then the engines, then any helper.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => _runner.StopAsync(cancellationToken);

    public ValueTask DisposeAsync() => _runner.DisposeAsync();
}
