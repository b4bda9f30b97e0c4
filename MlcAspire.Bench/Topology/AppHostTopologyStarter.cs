using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using MlcAspire.AppHost;
using MlcAspire.AppHost.Planning;
using MlcAspire.AppHost.Running;

namespace MlcAspire.Bench.Topology;

/// <summary>
/// Starts the topology with the AppHost's own code, on free loopback ports: <see cref="ArgumentPlanner"/> plans the
/// engines and each router from the AppHost's arguments, and <see cref="AppRunner"/> runs them (the NVSHMEM uid helper,
/// every engine at once, health probes, the ordered stop, the orphan watchdog). Several routers share one engine
/// world, as in the end-to-end tests: the first router runs with the engines, each other one is planned in front of
/// the running engines and runs on its own runner. Every output line goes to <c>processes.log</c>, prefixed with the
/// resource's name (a router is named after its target).
/// </summary>
internal sealed class AppHostTopologyStarter(string workDirectory) : ITopologyStarter
{
    private const string RouterModeFlag = "--router-mode";
    private const string ChunkTimesVariable = "MLC_REFERENCE_CHUNK_TIMES";

    // Every process in the bench's session, as nginx and the load generator are, so the kernel shares the CPU by
    // thread among all of them rather than equally among sessions (RunnerOptions.OwnSessions).
    private static readonly RunnerOptions s_runnerOptions = new() { PhaseTimeout = TimeSpan.FromMinutes(2), OwnSessions = false };

    // Per-request logging would measure the console, not the router or the engines.
    private static readonly IReadOnlyDictionary<string, string> s_quietLogging =
        new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" };

    public async Task<RunningTopology> StartAsync(TopologyRequest request, CancellationToken cancellationToken)
    {
        if (request.Routers.Count == 0)
        {
            throw new ArgumentException("The AppHost runs its engines together with a router; ask for at least one.", nameof(request));
        }

        var model = request.Engines.Timing.Count > 0
            ? TimingModelVariant.Create(request.Model, Path.Combine(workDirectory, "model"), request.Engines.Timing)
            : request.Model;
        var world = PlanEngines(model, request.EngineCount, request.Engines, request.PrefixCache);
        var chunkTimeLogs = request.Engines.RecordChunkTimes ? world.Engines.Select(engine => engine.Environment[ChunkTimesVariable]).ToArray() : null;
        var engines = world.Engines.Select(e => new RunningEngine(e.Name, e.Endpoint.Url, e.Engine!.PeStart)).ToList();
        var routers = request.Routers.Select(spec => (Spec: spec, Plan: PlanRouter(spec, model, engines))).ToList();

        Directory.CreateDirectory(workDirectory);
        var log = TextWriter.Synchronized(new StreamWriter(Path.Combine(workDirectory, "processes.log")) { AutoFlush = true });
        var output = new ResourceOutput(log);
        var runners = new List<AppRunner>();
        try
        {
            var first = Runner(world with { Router = routers[0].Plan.Router }, output);
            runners.Add(first);
            await first.StartAsync(cancellationToken);

            var others = routers.Skip(1).Select(router => Runner(router.Plan, output)).ToList();
            runners.AddRange(others);
            await Task.WhenAll(others.Select(runner => runner.StartAsync(cancellationToken)));
        }
        catch
        {
            // A runner whose start failed has already stopped what it started; the ones that did start are stopped here.
            foreach (var runner in Enumerable.Reverse(runners))
            {
                await runner.DisposeAsync();
            }

            await log.DisposeAsync();
            throw;
        }

        // Router i runs on runner i: the first with the engines, each other one on its own.
        var running = routers.Select((router, i) => (router.Spec.Name, Url: router.Plan.Router.Endpoint.Url, Pid: runners[i].GetSnapshot(router.Spec.Name).ProcessId))
            .ToDictionary(router => router.Name, router => (router.Url, router.Pid));
        var urls = engines.Select(e => e.Url).ToList();

        // Disposed in reverse: the routers' runners, then the engines' (which stops its router first), then the log.
        return new RunningTopology(model, urls, running, [log, .. runners], chunkTimeLogs);
    }

    /// <summary>
    /// The engines as the AppHost plans a disaggregated topology, so that they join one NVSHMEM world even when only
    /// round-robin routers use them: the engine-pd target drives the KV handoff between engines 0 and 1 itself.
    /// </summary>
    private AppPlan PlanEngines(string model, int engineCount, EngineSettings settings, bool prefixCache)
    {
        var plan = ArgumentPlanner.Plan(
            [model, RouterModeFlag, RouterSpec.Disagg, "--endpoint-num-gpus", .. Enumerable.Repeat("1", engineCount), .. prefixCache ? ["--enable-prefix-cache"] : Array.Empty<string>()],
            Readiness.FreePort);
        return plan with { Engines = [.. plan.Engines.Select(engine => WithOverrides(engine, settings.ExtraOverrides).WithEnvironment(EngineEnvironment(engine, settings)))] };
    }

    /// <summary>Quiet logging, and the reference engine's send-time log when the experiments pair chunks
    /// (MlcAspire.ReferenceEngine/README.md, "Chunk send times"), one file per engine.</summary>
    private IReadOnlyDictionary<string, string> EngineEnvironment(ResourcePlan engine, EngineSettings settings) =>
        settings.RecordChunkTimes
            ? new Dictionary<string, string>(s_quietLogging) { [ChunkTimesVariable] = Path.Combine(workDirectory, $"{engine.Name}.chunk-times") }
            : s_quietLogging;

    /// <summary>The engine with the preset's capacity items (e.g. <c>;max_num_sequence=1024</c>) after the AppHost's <c>--overrides</c>.</summary>
    private static ResourcePlan WithOverrides(ResourcePlan engine, string extraOverrides)
    {
        var args = engine.Args.ToList();
        var value = args.IndexOf("--overrides") + 1;
        if (value == 0)
        {
            throw new InvalidOperationException($"The AppHost planned {engine.Name} without --overrides; the preset's engine settings have nowhere to go.");
        }

        args[value] += extraOverrides;
        return engine with { Args = args };
    }

    /// <summary>
    /// A router in front of the running engines, planned as the AppHost plans one for <c>--router-mode</c> and
    /// <c>--pd-balance-factor</c> (disagg: engine 0 prefills, the others decode; round-robin: every engine serves whole
    /// requests), with the spec's settings added to its environment and its target's name as its resource name.
    /// </summary>
    private static AppPlan PlanRouter(RouterSpec spec, string model, IReadOnlyList<RunningEngine> engines)
    {
        var environment = new Dictionary<string, string>(s_quietLogging);
        foreach (var (key, value) in spec.Settings ?? new Dictionary<string, string>())
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var plan = ArgumentPlanner.PlanRouter(engines, environment,
            [model, RouterModeFlag, spec.Mode, "--pd-balance-factor", spec.PdBalanceFactor.ToString("R", CultureInfo.InvariantCulture)],
            Readiness.FreePort);
        return plan with { Router = plan.Router with { Name = spec.Name } };
    }

    private static AppRunner Runner(AppPlan plan, ResourceOutput output) =>
        new(plan, s_runnerOptions, output, ProgramPaths.FromBuild().AppHostDll, NullLogger<AppRunner>.Instance);
}
