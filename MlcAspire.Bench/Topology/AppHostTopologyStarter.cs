using System.Globalization;

namespace MlcAspire.Bench.Topology;

/// <summary>
/// Starts the topology as the AppHost's application (<see cref="AspireApp"/>: the MLC hosting integration under DCP), on
/// free loopback ports. The engines start with the first router, as the AppHost starts a disaggregated topology, so that
/// they join one NVSHMEM world even when only round-robin routers use them (the engine-pd target drives the KV handoff
/// between engines 0 and 1 itself). Each other router is its own application, attached to the running engines
/// (<c>--attach-engines</c>). Every resource's output goes to <c>processes.log</c>, prefixed with its name.
/// </summary>
/// <remarks>
/// DCP starts each application's processes in a session of its own: the engines (and their own router) share one, each
/// attached router has one. The kernel's autogroup shares the CPU equally among busy sessions, so nginx gets one of its
/// own too (<see cref="NginxProxy"/>); the report notes every process's group (<see cref="SchedulingGroups"/>).
/// </remarks>
internal sealed class AppHostTopologyStarter(string workDirectory) : ITopologyStarter
{
    private const string ChunkTimesVariable = "MLC_REFERENCE_CHUNK_TIMES";
    private const string QuietLoggingVariable = "Logging__LogLevel__Default";

    public async Task<RunningTopology> StartAsync(TopologyRequest request, CancellationToken cancellationToken)
    {
        if (request.Routers.Count == 0)
        {
            throw new ArgumentException("The AppHost runs its engines together with a router; ask for at least one.", nameof(request));
        }

        var model = request.Engines.Timing.Count > 0
            ? TimingModelVariant.Create(request.Model, Path.Combine(workDirectory, "model"), request.Engines.Timing)
            : request.Model;
        Directory.CreateDirectory(workDirectory);
        var log = TextWriter.Synchronized(new StreamWriter(Path.Combine(workDirectory, "processes.log")) { AutoFlush = true });
        var engineNames = Enumerable.Range(0, request.EngineCount).Select(i => $"engine-{i.ToString(CultureInfo.InvariantCulture)}").ToList();
        var chunkTimeLogs = request.Engines.RecordChunkTimes ? engineNames.Select(name => Path.Combine(workDirectory, $"{name}.chunk-times")).ToArray() : null;
        var apps = new List<AspireApp>();
        try
        {
            // The engines always start as the AppHost starts a disaggregated topology, in one NVSHMEM world; their own
            // router serves the first spec when that is disaggregated, else it is an extra the bench does not measure.
            var first = request.Routers[0];
            var firstRunsWithEngines = first.Mode == RouterSpec.Disagg;
            var environment = engineNames.Select((name, i) => (name, EngineEnvironment(chunkTimeLogs?[i])))
                .Append((AspireApp.RouterName, RouterEnvironment(first)))
                .ToDictionary(e => e.Item1, e => (IReadOnlyDictionary<string, string>)e.Item2);
            var engines = await AspireApp.StartAsync(
                [model, .. RouterArgs(firstRunsWithEngines ? first : first with { Mode = RouterSpec.Disagg }), "--endpoint-num-gpus", .. engineNames.Select(_ => "1"),
                 .. request.PrefixCache ? ["--enable-prefix-cache"] : Array.Empty<string>()],
                cancellationToken,
                environment,
                engineNames.ToDictionary(name => name, _ => (Action<IList<object>>)(args => AppendOverrides(args, request.Engines.ExtraOverrides))),
                log);
            apps.Add(engines);
            var urls = engineNames.Select(engines.GetEndpoint).ToList();

            var others = await Task.WhenAll(request.Routers.Skip(firstRunsWithEngines ? 1 : 0).Select(spec => AspireApp.StartAsync(
                [model, .. RouterArgs(spec), "--attach-engines", "--endpoint-ports", .. urls.Select(u => u.Port.ToString(CultureInfo.InvariantCulture))],
                cancellationToken,
                new Dictionary<string, IReadOnlyDictionary<string, string>> { [AspireApp.RouterName] = RouterEnvironment(spec) },
                output: log,
                keepEnginePorts: true)));
            apps.AddRange(others);

            var routers = request.Routers.Select((spec, i) => (spec.Name, App: apps[firstRunsWithEngines ? i : i + 1]))
                .ToDictionary(r => r.Name, r => (r.App.GetEndpoint(AspireApp.RouterName), (int?)r.App.GetProcessId(AspireApp.RouterName)));

            // Disposed in reverse: the attached routers' applications, then the engines' (which stops its router too), then the log.
            return new RunningTopology(model, urls, routers, [log, .. apps], chunkTimeLogs, [.. engineNames.Select(engines.GetProcessId)]);
        }
        catch
        {
            foreach (var app in Enumerable.Reverse(apps))
            {
                await app.DisposeAsync();
            }

            await log.DisposeAsync();
            throw;
        }
    }

    /// <summary>The AppHost's flags for a router of this spec (disagg: engine 0 prefills, the others decode).</summary>
    private static string[] RouterArgs(RouterSpec spec) =>
        ["--router-mode", spec.Mode, "--pd-balance-factor", spec.PdBalanceFactor.ToString("R", CultureInfo.InvariantCulture)];

    // Per-request logging would measure the console, not the router or the engines.
    private static Dictionary<string, string> RouterEnvironment(RouterSpec spec)
    {
        var environment = new Dictionary<string, string> { [QuietLoggingVariable] = "Warning" };
        foreach (var (key, value) in spec.Settings ?? new Dictionary<string, string>())
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        return environment;
    }

    /// <summary>Quiet logging, and the reference engine's send-time log when the experiments pair chunks
    /// (MlcAspire.ReferenceEngine/README.md, "Chunk send times").</summary>
    private static Dictionary<string, string> EngineEnvironment(string? chunkTimeLog) =>
        chunkTimeLog is null
            ? new() { [QuietLoggingVariable] = "Warning" }
            : new() { [QuietLoggingVariable] = "Warning", [ChunkTimesVariable] = chunkTimeLog };

    /// <summary>The preset's capacity items (e.g. <c>;max_num_sequence=1024</c>) after the AppHost's <c>--overrides</c>.</summary>
    private static void AppendOverrides(IList<object> args, string extraOverrides)
    {
        var value = args.IndexOf("--overrides") + 1;
        if (value == 0)
        {
            throw new InvalidOperationException("The AppHost gave an engine no --overrides; the preset's engine settings have nowhere to go.");
        }

        args[value] = (string)args[value] + extraOverrides;
    }
}
