using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace MlcAspire.Tests.EndToEnd.Router;

/// <summary>
/// Real reference-engine processes in one NVSHMEM-like world, started with the command line and environment of
/// docs/wiring.md (what the AppHost gives them): a uid helper that lives until every engine is ready, then the
/// engines, all at once because joining the world is collective.
/// </summary>
internal sealed class ReferenceEngineCluster : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly List<Process> _processes = [];

    private ReferenceEngineCluster()
    {
    }

    public IReadOnlyList<Uri> Engines { get; private set; } = [];

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromMinutes(2) };

    public static async Task<ReferenceEngineCluster> StartAsync(int engineCount, bool prefixCache, CancellationToken cancellationToken)
    {
        var cluster = new ReferenceEngineCluster();
        try
        {
            await cluster.StartEnginesAsync(engineCount, prefixCache, cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>A gauge or counter from the engine's <c>/metrics</c>, e.g. <c>mlc_reference_parked_requests</c>.</summary>
    public async Task<double> GetMetricAsync(int engine, string name, CancellationToken cancellationToken)
    {
        var text = await Http.GetStringAsync(new Uri(Engines[engine], "/metrics"), cancellationToken);
        var line = text.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        return double.Parse(line[(name.Length + 1)..], CultureInfo.InvariantCulture);
    }

    /// <summary>Greedy completion straight from one engine: the single-engine reference output.</summary>
    public async Task<string> CompleteDirectlyAsync(int engine, JsonNode prompt, int maxTokens, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["prompt"] = prompt.DeepClone(), ["max_tokens"] = maxTokens, ["temperature"] = 0 };
        using var response = await Http.PostAsync(new Uri(Engines[engine], "/v1/completions"),
            new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"), cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!["choices"]![0]!["text"]!.GetValue<string>();
    }

    private async Task StartEnginesAsync(int engineCount, bool prefixCache, CancellationToken cancellationToken)
    {
        var dll = EngineDll();
        var uidProcess = Start(dll, ["--nvshmem-uid"], new Dictionary<string, string>(), redirectInput: true);
        var uid = await uidProcess.StandardOutput.ReadLineAsync(cancellationToken).AsTask().WaitAsync(StartTimeout, cancellationToken)
            ?? throw new InvalidOperationException("The uid helper printed nothing.");

        var engines = new List<Uri>();
        var ready = new List<Task>();
        for (var i = 0; i < engineCount; i++)
        {
            var port = FreePort();
            var address = new Uri($"http://127.0.0.1:{port}");
            engines.Add(address);
            var process = Start(dll,
                [RepositoryPaths.ReferenceTinyModel, "--device", $"cuda:{i}", "--enable-debug", "--mode", "server",
                 "--speculative-mode", "disable", "--prefix-cache-mode", prefixCache ? "radix" : "disable",
                 "--overrides", "gpu_memory_utilization=0.8;spec_draft_length=0;tensor_parallel_shards=1",
                 "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture)],
                new Dictionary<string, string>
                {
                    ["MLC_NVSHMEM_INIT_CONFIG_JSON_STR"] = $$"""{"uid":{{uid}},"npes":{{engineCount}},"pe_start":{{i}}}""",
                    ["OTEL_SERVICE_NAME"] = $"engine-{i}",
                });
            ready.Add(WaitReadyAsync(process, address, cancellationToken));
        }

        Engines = engines;
        await Task.WhenAll(ready).WaitAsync(StartTimeout, cancellationToken);

        // The world is complete once every engine answers; the bootstrap root is needed no more (docs/wiring.md).
        uidProcess.StandardInput.Close();
    }

    private async Task WaitReadyAsync(Process process, Uri address, CancellationToken cancellationToken)
    {
        // Readiness as MLC's router polls it: GET /v1/models answers 200; a process that exits fails fast.
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The engine at {address} exited with code {process.ExitCode}.");
            }

            try
            {
                using var response = await Http.GetAsync(new Uri(address, "/v1/models"), cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    private Process Start(string dll, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment, bool redirectInput = false)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        info.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(info)!;
        _processes.Add(process);
        if (!redirectInput)
        {
            process.OutputDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
        }

        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        return process;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The engine built beside these tests: artifacts/bin/MlcAspire.ReferenceEngine/&lt;configuration&gt;/.</summary>
    private static string EngineDll()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Name;
        var dll = Path.Combine(RepositoryPaths.Root, "artifacts", "bin", "MlcAspire.ReferenceEngine", configuration, "MlcAspire.ReferenceEngine.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build the solution first: the reference engine is missing.", dll);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }

        Http.Dispose();
    }
}
