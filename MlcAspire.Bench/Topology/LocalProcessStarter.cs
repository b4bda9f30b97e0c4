using System.Globalization;

namespace MlcAspire.Bench.Topology;

/// <summary>Starts reference engines and routers as processes with the command lines and environment of
/// <c>docs/wiring.md</c> (what the AppHost writes), on free loopback ports, and waits for their health.</summary>
internal sealed class LocalProcessStarter(string logDirectory, HttpClient http) : ITopologyStarter
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    public async Task<RunningTopology> StartAsync(TopologyRequest request, CancellationToken cancellationToken)
    {
        var owned = new List<IAsyncDisposable>();
        if (request.Engines.Timing.Count > 0)
        {
            request = request with { Model = TimingModelVariant.Create(request.Model, Path.Combine(logDirectory, "model"), request.Engines.Timing) };
        }

        try
        {
            var engines = await StartEnginesAsync(request, owned, cancellationToken);
            var routers = new Dictionary<string, (Uri Url, int? Pid)>();
            await Task.WhenAll(request.Routers.Select(async spec =>
            {
                var (url, process) = StartRouter(spec, request.Model, engines);
                lock (owned)
                {
                    owned.Add(process);
                }

                await Readiness.WaitForOkAsync(http, new Uri(url, "health"), process, StartTimeout, cancellationToken);
                lock (routers)
                {
                    routers[spec.Name] = (url, process.Id);
                }
            }));
            var chunkTimeLogs = request.Engines.RecordChunkTimes ? Enumerable.Range(0, request.EngineCount).Select(ChunkTimesPath).ToArray() : null;
            return new RunningTopology(request.Model, engines, routers, owned, chunkTimeLogs);
        }
        catch
        {
            foreach (var resource in Enumerable.Reverse(owned))
            {
                await resource.DisposeAsync();
            }

            throw;
        }
    }

    private async Task<IReadOnlyList<Uri>> StartEnginesAsync(TopologyRequest request, List<IAsyncDisposable> owned, CancellationToken cancellationToken)
    {
        // The NVSHMEM-like world (wiring.md): a bootstrap root prints the uid and must live until every engine is up;
        // engines of one world start together, because joining it blocks until all PEs have joined.
        var uidLine = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var root = ChildProcess.Start("nvshmem-root", "dotnet", [BenchPaths.EngineDll, "--nvshmem-uid"],
            new Dictionary<string, string>(), logDirectory, line => uidLine.TrySetResult(line));
        var uid = await uidLine.Task.WaitAsync(StartTimeout, cancellationToken);

        var engines = new Uri[request.EngineCount];
        var started = new ChildProcess[request.EngineCount];
        for (var i = 0; i < engines.Length; i++)
        {
            var port = Readiness.FreePort();
            engines[i] = new Uri($"http://127.0.0.1:{port}/");
            var world = $$"""{"uid":{{uid.Trim()}},"npes":{{request.EngineCount}},"pe_start":{{i}}}""";
            var environment = new Dictionary<string, string>
            {
                ["OTEL_SERVICE_NAME"] = $"engine-{i}",
                ["MLC_NVSHMEM_INIT_CONFIG_JSON_STR"] = world,
                ["Logging__LogLevel__Default"] = "Warning",
            };
            if (request.Engines.RecordChunkTimes)
            {
                // The reference engine's send-time log (MlcAspire.ReferenceEngine/README.md, "Chunk send times").
                environment["MLC_REFERENCE_CHUNK_TIMES"] = ChunkTimesPath(i);
            }

            started[i] = ChildProcess.Start($"engine-{i}", "dotnet",
            [
                BenchPaths.EngineDll, request.Model, "--device", $"cuda:{i}", "--enable-debug", "--mode", "server",
                "--speculative-mode", "disable", "--prefix-cache-mode", "disable",
                "--overrides", "gpu_memory_utilization=0.8;spec_draft_length=0;tensor_parallel_shards=1" + request.Engines.ExtraOverrides,
                "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
            ], environment, logDirectory);
            owned.Add(started[i]);
        }

        await Task.WhenAll(engines.Select((url, i) =>
            Readiness.WaitForOkAsync(http, new Uri(url, "v1/models"), started[i], StartTimeout, cancellationToken)));
        return engines;
    }

    private string ChunkTimesPath(int engine) => Path.Combine(logDirectory, $"engine-{engine}.chunk-times");

    private (Uri Url, ChildProcess Process) StartRouter(RouterSpec spec, string model, IReadOnlyList<Uri> engines)
    {
        var port = Readiness.FreePort();
        var url = new Uri($"http://127.0.0.1:{port}/");
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = url.GetLeftPart(UriPartial.Authority),
            ["OTEL_SERVICE_NAME"] = "router",
            ["Router__Mode"] = spec.Mode,
            ["Router__Model"] = model,
            ["Router__PdBalanceFactor"] = spec.PdBalanceFactor.ToString(CultureInfo.InvariantCulture),
            // Per-request logging would measure the console, not the router.
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in spec.Settings ?? new Dictionary<string, string>())
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        for (var i = 0; i < engines.Count; i++)
        {
            environment[$"services__engine-{i}__http__0"] = engines[i].GetLeftPart(UriPartial.Authority);
            environment[$"Router__Engines__{i}__Name"] = $"engine-{i}";
            environment[$"Router__Engines__{i}__Role"] = spec.Mode == RouterSpec.Disagg ? (i == 0 ? "Prefill" : "Decode") : "Both";
            environment[$"Router__Engines__{i}__PeStart"] = i.ToString(CultureInfo.InvariantCulture);
        }

        return (url, ChildProcess.Start(spec.Name, "dotnet", [BenchPaths.RouterDll], environment, logDirectory));
    }
}
