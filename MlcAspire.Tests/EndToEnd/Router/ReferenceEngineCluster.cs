using System.Text.Json.Nodes;
using MlcAspire.Tests.EndToEnd.ReferenceEngine;

namespace MlcAspire.Tests.EndToEnd.Router;

/// <summary>
/// Real reference-engine processes in one NVSHMEM-like world, started with the command line and environment of
/// docs/wiring.md (what the AppHost gives them): a uid helper that lives until every engine is ready, then the
/// engines, all at once because joining the world is collective.
/// </summary>
internal sealed class ReferenceEngineCluster : IAsyncDisposable
{
    private readonly List<EngineProcess> _engines = [];

    private ReferenceEngineCluster()
    {
    }

    public IReadOnlyList<Uri> Engines => [.. _engines.Select(e => e.BaseAddress)];

    public static async Task<ReferenceEngineCluster> StartAsync(int engineCount, bool prefixCache, CancellationToken cancellationToken)
    {
        var cluster = new ReferenceEngineCluster();
        try
        {
            await using var uid = await NvshmemUidProcess.StartAsync(cancellationToken);
            for (var i = 0; i < engineCount; i++)
            {
                var environment = new Dictionary<string, string>(uid.EnvironmentFor(engineCount, i))
                {
                    ["OTEL_SERVICE_NAME"] = $"engine-{i}",
                    ["Logging__LogLevel__Default"] = "Warning",
                };
                cluster._engines.Add(EngineProcess.Start(
                    ["--device", $"cuda:{i}", "--enable-debug", "--mode", "server", "--speculative-mode", "disable",
                     "--prefix-cache-mode", prefixCache ? "radix" : "disable",
                     "--overrides", "gpu_memory_utilization=0.8;spec_draft_length=0;tensor_parallel_shards=1"],
                    environment));
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

    /// <summary>A gauge or counter from the engine's <c>/metrics</c>, e.g. <c>mlc_reference_parked_requests</c>.</summary>
    public async Task<double> GetMetricAsync(int engine, string name, CancellationToken cancellationToken) =>
        (await _engines[engine].MetricsAsync(cancellationToken))[name];

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
