using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using MlcAspire.AppHost.Planning;

namespace MlcAspire.AppHost.Running;

/// <summary>
/// Runs an <see cref="AppPlan"/> the way Aspire's orchestrator would: starts each resource when what it waits
/// for is ready, probes health, reports every state change, and stops everything, leaving no process behind.
/// </summary>
/// <remarks>
/// Startup, one deadline per phase:
/// 1. In disaggregated mode, start the NVSHMEM helper and read the uid it prints.
/// 2. Start every engine of the world at once (NVSHMEM init is collective) and wait, in parallel, until each
///    process is alive and answers its health path; the first engine that exits or fails ends the phase.
/// 3. Stop the helper: every PE has joined the world.
/// 4. Start the router and wait for its health.
/// A start that fails at any step stops what it started and throws <see cref="ResourceStartException"/>.
///
/// Stopping, in this order, each step bounded and never throwing: SIGTERM to the router, which drains its streams,
/// then its tree is killed after its grace period; the same for the engines (in parallel, a short grace); then the
/// helper. The children run in process groups of their own (<see cref="ManagedProcess"/>), so a Ctrl+C in the
/// terminal reaches only the AppHost, which keeps this order.
/// </remarks>
internal sealed class AppRunner : IAsyncDisposable
{
    /// <summary>How long a killed process may take to be reaped before stopping moves on without it.</summary>
    private static readonly TimeSpan s_killTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The NVSHMEM helper ends when its stdin closes; after this its tree is killed.</summary>
    private static readonly TimeSpan s_helperStopGracePeriod = TimeSpan.FromSeconds(2);

    private readonly AppPlan _plan;
    private readonly RunnerOptions _options;
    private readonly ResourceOutput _output;
    private readonly ILogger _logger;
    private readonly string _appHostDll;
    private readonly Dictionary<string, RunningResource> _resources;
    private readonly HttpClient _probeClient;
    private readonly SemaphoreSlim _stopLock = new(1, 1);
    private readonly Lock _historyLock = new();
    private readonly List<ResourceStateChange> _history = [];
    private OrphanWatchdog? _watchdog;
    private ManagedProcess? _helper;
    private volatile bool _stopping;
    private bool _stopped;

    public AppRunner(AppPlan plan, RunnerOptions options, ResourceOutput output, string appHostDll, ILogger<AppRunner> logger)
    {
        _plan = plan;
        _options = options;
        _output = output;
        _logger = logger;
        _appHostDll = appHostDll;
        _resources = plan.Resources.ToDictionary(r => r.Name, r => new RunningResource(r, RecordStateChange), StringComparer.Ordinal);

        // One client for the runner's lifetime (a console host has no IHttpClientFactory). Probes go straight to the
        // resources: no proxy from the environment can capture them (mlc-protocol.md W14).
        _probeClient = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(5) };
    }

    public IReadOnlyList<ResourceSnapshot> Snapshots => [.. _plan.Resources.Select(r => _resources[r.Name].Snapshot())];

    public ResourceSnapshot GetSnapshot(string name) => Find(name).Snapshot();

    /// <summary>Every state change so far, in order, including the NVSHMEM helper's stop.</summary>
    public IReadOnlyList<ResourceStateChange> History
    {
        get
        {
            lock (_historyLock)
            {
                return [.. _history];
            }
        }
    }

    /// <summary>The resource's <c>http</c> endpoint, as a reference to it would resolve.</summary>
    public Uri GetEndpoint(string name) => Find(name).Plan.Endpoint.Url;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var started = false;
        try
        {
            await StartResourcesAsync(cancellationToken);
            started = true;
        }
        finally
        {
            if (!started)
            {
                // Whatever the failure (or a stop requested during the start), what started is stopped again here,
                // so that no caller can leave processes behind by forgetting to.
                await StopAsync(CancellationToken.None);
            }
        }
    }

    private async Task StartResourcesAsync(CancellationToken cancellationToken)
    {
        StartWatchdog();

        // :: Step 1
        var uid = _plan.NvshmemHelper is { } helper ? await StartNvshmemHelperAsync(helper, cancellationToken) : null;

        // :: Step 2
        var engines = _plan.Engines.Select(e => _resources[e.Name]).ToList();
        foreach (var engine in engines)
        {
            var environment = new Dictionary<string, string>(engine.Plan.Environment, StringComparer.Ordinal);
            if (engine.Plan.Engine?.Nvshmem is { } nvshmem && uid is not null)
            {
                environment[NvshmemInit.EnvironmentVariable] = nvshmem.ToEnvironmentValue(uid);
            }

            Launch(engine, environment);
        }

        await WaitReadyAsync(engines, cancellationToken);

        // :: Step 3
        await StopHelperAsync(cancellationToken);

        // :: Step 4
        var router = _resources[_plan.Router.Name];
        Launch(router, router.Plan.Environment);
        await WaitReadyAsync([router], cancellationToken);
    }

    /// <summary>Waits until the resource's state satisfies <paramref name="predicate"/>; returns that snapshot.</summary>
    public async Task<ResourceSnapshot> WaitForStateAsync(string name, Func<ResourceState, bool> predicate, CancellationToken cancellationToken)
    {
        var resource = Find(name);
        while (true)
        {
            var (snapshot, changed) = resource.SnapshotAndSignal();
            if (predicate(snapshot.State))
            {
                return snapshot;
            }

            await changed.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Kills a resource's process tree as a crash would, and waits until its end is reported.</summary>
    public async Task<ResourceSnapshot> KillAsync(string name, CancellationToken cancellationToken)
    {
        var resource = Find(name);
        resource.Process?.KillTree();
        return await WaitForStateAsync(name, state => state is ResourceState.Exited or ResourceState.Failed or ResourceState.Stopped or ResourceState.NotStarted, cancellationToken);
    }

    /// <summary>Marks the deployment as stopping, so that processes ending from now on count as stopped.</summary>
    public void RequestStop() => _stopping = true;

    /// <summary>
    /// Stops the router, then the engines, then any helper; idempotent, and never throws. Each process gets SIGTERM and
    /// its grace period, then its tree is killed.
    /// </summary>
    /// <param name="cancellationToken">Cuts the grace periods short (a second Ctrl+C): what still runs is killed at once.
    /// It never stops the stop itself.</param>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // A stop always runs to its end, so the lock is taken without the token.
        await _stopLock.WaitAsync(CancellationToken.None);
        try
        {
            if (_stopped)
            {
                return;
            }

            _stopping = true;
            RunnerLog.Stopping(_logger);
            await StopResourcesAsync([_resources[_plan.Router.Name]], cancellationToken);
            await StopResourcesAsync([.. _plan.Engines.Select(e => _resources[e.Name])], cancellationToken);
            await StopHelperAsync(cancellationToken);
            _watchdog?.Dispose();
            _stopped = true;
        }
        finally
        {
            _stopLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        foreach (var resource in _resources.Values)
        {
            resource.Process?.Dispose();
        }

        _probeClient.Dispose();
        _stopLock.Dispose();
    }

    /// <summary>The startup table: each resource's name, process id, state, URL and GPUs.</summary>
    public string FormatTable()
    {
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"{"RESOURCE",-10} {"PID",-8} {"STATE",-10} {"URL",-28} GPUS");
        foreach (var snapshot in Snapshots)
        {
            var devices = snapshot.Devices.Count == 0 ? "-" : string.Join(",", snapshot.Devices);
            table.AppendLine(CultureInfo.InvariantCulture,
                $"{snapshot.Name,-10} {snapshot.ProcessId?.ToString(CultureInfo.InvariantCulture) ?? "-",-8} {snapshot.State,-10} {snapshot.Url.GetLeftPart(UriPartial.Authority),-28} {devices}");
        }

        return table.ToString();
    }

    private RunningResource Find(string name) =>
        _resources.TryGetValue(name, out var resource)
            ? resource
            : throw new ArgumentException($"No resource is named '{name}'; the resources are {string.Join(", ", _resources.Keys)}.", nameof(name));

    private void StartWatchdog()
    {
        try
        {
            _watchdog = OrphanWatchdog.Start(_appHostDll, _output);
        }
        catch (ResourceStartException ex)
        {
            RunnerLog.WatchdogUnavailable(_logger, ex);
        }
    }

    private async Task<long[]> StartNvshmemHelperAsync(NvshmemHelperPlan plan, CancellationToken cancellationToken)
    {
        var firstLine = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _helper = ManagedProcess.Start(NvshmemHelperPlan.Name, plan.Command, plan.Args, new Dictionary<string, string>(), _plan.WorkingDirectory, _output, _options.OwnSessions, line => firstLine.TrySetResult(line));
        _watchdog?.Track(_helper.Id);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.PhaseTimeout);
        Task first;
        try
        {
            first = await Task.WhenAny(firstLine.Task, _helper.Completion).WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ResourceStartException(
                $"{NvshmemHelperPlan.Name} printed no NVSHMEM uid within {_options.PhaseTimeout.TotalSeconds} s; its last output:{Environment.NewLine}{_output.Tail(NvshmemHelperPlan.Name)}");
        }

        if (first != firstLine.Task)
        {
            throw new ResourceStartException(
                $"{NvshmemHelperPlan.Name} exited with code {await _helper.Completion} before printing the NVSHMEM uid; its last output:{Environment.NewLine}{_output.Tail(NvshmemHelperPlan.Name)}");
        }

        var line = await firstLine.Task;
        try
        {
            var uid = JsonSerializer.Deserialize<long[]>(line);
            if (uid is { Length: > 0 })
            {
                RunnerLog.NvshmemUidReceived(_logger, NvshmemHelperPlan.Name, _helper.Id);
                return uid;
            }
        }
        catch (JsonException)
        {
            // Reported below with the line itself.
        }

        throw new ResourceStartException($"{NvshmemHelperPlan.Name} printed '{line}', not an NVSHMEM uid (a JSON array of integers).");
    }

    private void Launch(RunningResource resource, IReadOnlyDictionary<string, string> environment)
    {
        var plan = resource.Plan;
        ManagedProcess process;
        try
        {
            process = ManagedProcess.Start(plan.Name, plan.Command, plan.Args, environment, _plan.WorkingDirectory, _output, _options.OwnSessions);
        }
        catch (ResourceStartException)
        {
            resource.FailedToStart();
            throw;
        }

        _watchdog?.Track(process.Id);
        resource.Started(process);
        RunnerLog.ResourceStarted(_logger, plan.Name, process.Id);
        _ = ObserveExitAsync(resource, process);
    }

    private async Task ObserveExitAsync(RunningResource resource, ManagedProcess process)
    {
        var exitCode = await process.Completion.ConfigureAwait(false);
        _watchdog?.Forget(process.Id);
        var state = resource.Ended(exitCode, _stopping);
        if (state == ResourceState.Stopped)
        {
            RunnerLog.ResourceStopped(_logger, resource.Plan.Name, process.Id);
        }
        else
        {
            // After startup the runner only reports: the router's own health checks take the engine out of rotation.
            RunnerLog.ResourceEnded(_logger, resource.Plan.Name, process.Id, exitCode, state);
        }
    }

    private async Task WaitReadyAsync(IReadOnlyList<RunningResource> resources, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.PhaseTimeout);

        // The first failure ends the phase: NVSHMEM init is collective, so once one engine is gone the others would
        // only wait out the deadline.
        using var phase = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
        var pending = resources.Select(r => WaitReadyAsync(r, phase.Token, deadline.Token, cancellationToken)).ToList();
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending);
            pending.Remove(done);
            if (!done.IsCompletedSuccessfully)
            {
                await phase.CancelAsync();
                await Task.WhenAll(pending).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                await done;
            }
        }
    }

    /// <param name="resource">The resource to wait for.</param>
    /// <param name="phase">Cancelled when the phase ends: its deadline, the caller, or another resource's failure.</param>
    /// <param name="deadline">Cancelled at the phase's deadline or by the caller.</param>
    /// <param name="cancellationToken">The caller's token.</param>
    private async Task WaitReadyAsync(RunningResource resource, CancellationToken phase, CancellationToken deadline, CancellationToken cancellationToken)
    {
        // Completion follows the process's exit, not its output pipes, which an escaped descendant may hold open.
        var process = resource.Process!;
        var probeUrl = new Uri(resource.Plan.Endpoint.Url, resource.Plan.HealthPath);
        try
        {
            while (!process.Completion.IsCompleted)
            {
                if (await ProbeAsync(probeUrl, phase))
                {
                    resource.Ready();
                    RunnerLog.ResourceReady(_logger, resource.Plan.Name, resource.Plan.Endpoint.Url);
                    return;
                }

                await Task.WhenAny(Task.Delay(_options.ProbeInterval, phase), process.Completion);
                phase.ThrowIfCancellationRequested();
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            resource.Failed();
            throw new ResourceStartException(
                $"{resource.Plan.Name} was not ready within {_options.PhaseTimeout.TotalSeconds} s (GET {probeUrl} never answered 200); its last output:{Environment.NewLine}{_output.Tail(resource.Plan.Name)}");
        }

        // Its end is recorded (Failed) before the start fails and stops the rest, which would count it as stopped.
        var exitCode = await process.Completion;
        await resource.Completion;
        throw new ResourceStartException(
            $"{resource.Plan.Name} exited with code {exitCode} before it was ready; its last output:{Environment.NewLine}{_output.Tail(resource.Plan.Name)}");
    }

    private async Task<bool> ProbeAsync(Uri url, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _probeClient.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // This probe's own timeout: the resource is up but slow; try again.
            return false;
        }
    }

    private Task StopResourcesAsync(IReadOnlyList<RunningResource> resources, CancellationToken cancellationToken) =>
        Task.WhenAll(resources.Select(r => StopResourceAsync(r, cancellationToken)));

    private async Task StopResourceAsync(RunningResource resource, CancellationToken cancellationToken)
    {
        resource.Stopping();
        if (resource.Process is not { } process)
        {
            return;
        }

        // SIGTERM first: the router drains its streams (each ends with [DONE] or a shutting_down event) only then.
        process.Terminate();
        var grace = resource.Plan.StopGracePeriod;
        if (await CompletesWithinAsync(resource.Completion, grace, cancellationToken))
        {
            return;
        }

        RunnerLog.StopGracePeriodEnded(_logger, resource.Plan.Name, process.Id, grace);
        await KillTreeAsync(resource.Plan.Name, process, resource.Completion);
    }

    private async Task StopHelperAsync(CancellationToken cancellationToken)
    {
        if (_helper is not { } helper)
        {
            return;
        }

        _helper = null;
        RecordStateChange(NvshmemHelperPlan.Name, ResourceState.Stopping);

        // Closing stdin is the helper's signal to stop; the tree kill covers a helper that ignores it.
        try
        {
            helper.CloseStandardInput();
        }
        catch (IOException)
        {
            // It has already gone, and its end of the pipe with it.
        }

        if (!await CompletesWithinAsync(helper.Completion, s_helperStopGracePeriod, cancellationToken))
        {
            await KillTreeAsync(NvshmemHelperPlan.Name, helper, helper.Completion);
        }

        RecordStateChange(NvshmemHelperPlan.Name, ResourceState.Stopped);
        _watchdog?.Forget(helper.Id);
        helper.Dispose();
    }

    /// <summary>Kills a process tree that outlived its grace period and waits (bounded) until <paramref name="completion"/>
    /// says it is gone; one that outlives that too is logged, and stopping moves on.</summary>
    private async Task KillTreeAsync(string name, ManagedProcess process, Task completion)
    {
        process.KillTree();
        if (!await CompletesWithinAsync(completion, s_killTimeout, CancellationToken.None))
        {
            RunnerLog.ProcessOutlivedKill(_logger, name, process.Id, s_killTimeout);
        }
    }

    /// <summary>Whether <paramref name="task"/> completes within <paramref name="timeout"/>; false, never an exception, otherwise.</summary>
    private static async Task<bool> CompletesWithinAsync(Task task, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private void RecordStateChange(string name, ResourceState state)
    {
        lock (_historyLock)
        {
            _history.Add(new ResourceStateChange(name, state));
        }
    }
}
