using System.Text.Json.Nodes;
using System.Globalization;
using MlcAspire.Tests.EndToEnd.ReferenceEngine;

namespace MlcAspire.Tests.EndToEnd.Router;

/// <summary>
/// Real reference-engine processes in one NVSHMEM-like world, started with the command line and environment of
/// docs/wiring.md (what the AppHost gives them): a uid helper that lives until every engine is ready, then the
/// engines, all at once because joining the world is collective. Routers in front of them are real processes too,
/// planned by the AppHost (<see cref="CreateRouter"/>), so that several routers can share one world.
/// </summary>
internal sealed class ReferenceEngineCluster : IAsyncDisposable
{
    private readonly List<EngineProcess> _engines = [];

    private ReferenceEngineCluster(string model) => Model = model;

    /// <summary>The model directory every engine (and every router in front of them) loads.</summary>
    public string Model { get; }

    /// <summary>engine-<c>i</c> at its URL, with PE start <c>i</c> (one GPU each).</summary>
    public IReadOnlyList<RunningEngine> Engines => [.. _engines.Select((e, i) => new RunningEngine(Name(i), e.BaseAddress, i))];

    public static string Name(int engine) => $"engine-{engine}";

    public static Task<ReferenceEngineCluster> StartAsync(int engineCount, bool prefixCache, CancellationToken cancellationToken) =>
        StartAsync([.. Enumerable.Repeat(new ClusterEngine(), engineCount)], prefixCache, RepositoryPaths.ReferenceTinyModel, cancellationToken);

    public static async Task<ReferenceEngineCluster> StartAsync(
        IReadOnlyList<ClusterEngine> engines, bool prefixCache, string model, CancellationToken cancellationToken)
    {
        var cluster = new ReferenceEngineCluster(model);
        try
        {
            await using var uid = await NvshmemUidProcess.StartAsync(cancellationToken);
            for (var i = 0; i < engines.Count; i++)
            {
                var environment = new Dictionary<string, string>(uid.EnvironmentFor(engines.Count, i))
                {
                    ["OTEL_SERVICE_NAME"] = Name(i),
                    ["Logging__LogLevel__Default"] = "Warning",
                };
                if (engines[i].Faults is { } faults)
                {
                    environment["MLC_REFERENCE_FAULTS"] = faults;
                }

                var overrides = "gpu_memory_utilization=0.8;spec_draft_length=0;tensor_parallel_shards=1"
                    + (engines[i].Overrides is { } extra ? ";" + extra : "");
                cluster._engines.Add(EngineProcess.Start(
                    ["--device", $"cuda:{i}", "--enable-debug", "--mode", "server", "--speculative-mode", "disable",
                     "--prefix-cache-mode", prefixCache ? "radix" : "disable", "--overrides", overrides],
                    environment,
                    model));
            }

            // The world is complete once every engine answers; disposing the uid helper then is what the AppHost does.
            await Task.WhenAll(cluster._engines.Select(e => e.WaitReadyAsync(cancellationToken)));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts the AppHost's application in front of some of the engines (engine <c>k</c> of its topology is
    /// <c>engines[k]</c>), attached by URL (<c>--attach-engines</c>), for <paramref name="args"/> (e.g.
    /// <c>--endpoint-roles Prefill Decode --pd-balance-factor 0.1</c>). The router's engines are named by their place in
    /// its topology; their first PE is the one they have in this world, given as <c>Router__Engines__k__PeStart</c>.
    /// </summary>
    public Task<AspireApp> StartRouterAsync(
        IReadOnlyList<int> engines, IReadOnlyDictionary<string, string> environment, string[] args, CancellationToken cancellationToken)
    {
        var routerEnvironment = new Dictionary<string, string>(environment);
        for (var k = 0; k < engines.Count; k++)
        {
            routerEnvironment[$"Router__Engines__{k.ToString(CultureInfo.InvariantCulture)}__PeStart"] =
                Engines[engines[k]].PeStart.ToString(CultureInfo.InvariantCulture);
        }

        string[] topology =
        [
            Model, "--attach-engines",
            "--endpoint-hosts", string.Join(',', engines.Select(i => Engines[i].Url.Host)),
            "--endpoint-ports", .. engines.Select(i => Engines[i].Url.Port.ToString(CultureInfo.InvariantCulture)),
            .. args,
        ];
        return AspireApp.StartAsync(topology, cancellationToken,
            new Dictionary<string, IReadOnlyDictionary<string, string>> { [AspireApp.RouterName] = routerEnvironment }, keepEnginePorts: true);
    }

    /// <summary>A gauge or counter from the engine's <c>/metrics</c>, e.g. <c>mlc_reference_parked_requests</c>.</summary>
    public async Task<double> GetMetricAsync(int engine, string name, CancellationToken cancellationToken) =>
        (await _engines[engine].MetricsAsync(cancellationToken))[name];

    /// <summary>The sum of a counter over some engines (e.g. every prefill engine of a router).</summary>
    public async Task<double> SumMetricAsync(IEnumerable<int> engines, string name, CancellationToken cancellationToken) =>
        (await Task.WhenAll(engines.Select(i => GetMetricAsync(i, name, cancellationToken)))).Sum();

    /// <summary>Greedy completion straight from one engine: the single-engine reference output.</summary>
    public async Task<string> CompleteDirectlyAsync(int engine, JsonNode prompt, int maxTokens, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["prompt"] = prompt.DeepClone(), ["max_tokens"] = maxTokens, ["temperature"] = 0 };
        using var response = await _engines[engine].Client.PostAsync("/v1/completions",
            new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"), cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!["choices"]![0]!["text"]!.GetValue<string>();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var engine in _engines)
        {
            await engine.DisposeAsync();
        }
    }
}
