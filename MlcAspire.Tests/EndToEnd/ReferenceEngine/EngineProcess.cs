using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using MlcAspire.Bench.Topology;

namespace MlcAspire.Tests.EndToEnd.ReferenceEngine;

/// <summary>
/// A reference engine process started from the built engine (<c>dotnet MlcAspire.ReferenceEngine.dll …</c>) on a
/// free port, as a router or the AppHost starts one. Ready when <c>GET /v1/models</c> answers 200.
/// </summary>
internal sealed class EngineProcess : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private EngineProcess(Process process, int port)
    {
        _process = process;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The engine dll of the same build configuration as the tests.</summary>
    public static string EngineDll { get; } = Path.Combine(
        RepositoryPaths.Root, "artifacts", "bin", "MlcAspire.ReferenceEngine",
        new DirectoryInfo(AppContext.BaseDirectory).Name, "MlcAspire.ReferenceEngine.dll");

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    /// <summary>Starts an engine on a free port; <paramref name="args"/> follow MODEL (the reference-tiny model unless <paramref name="model"/> is given).</summary>
    public static EngineProcess Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, string? model = null, string? apiKey = null)
    {
        var port = FreePorts.Take();
        string[] keyArgs = apiKey is null ? [] : ["--api-key", apiKey];
        var info = Command([model ?? RepositoryPaths.ReferenceTinyModel, .. args, .. keyArgs, "--host", "127.0.0.1", "--port", port.ToString()]);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info };
        var engine = new EngineProcess(process, port);
        if (apiKey is not null)
        {
            engine.Client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
        }

        process.OutputDataReceived += (_, e) => engine.Record(e.Data);
        process.ErrorDataReceived += (_, e) => engine.Record(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return engine;
    }

    /// <summary>Polls <c>/v1/models</c> until it answers 200; fails at once, with the engine's output, if the process exits.</summary>
    public async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReadyTimeout);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The engine exited with code {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
                request.Headers.Authorization = Client.DefaultRequestHeaders.Authorization;
                using var response = await Client.SendAsync(request, timeout.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                // Readiness polling, as MLC's router does (every 0.1 s); the process gives no other signal.
                await Task.Delay(TimeSpan.FromMilliseconds(100), timeout.Token);
            }
            catch (HttpRequestException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), timeout.Token);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"The engine at {BaseAddress} was not ready within {ReadyTimeout}:\n{Output}");
            }
        }
    }

    /// <summary>Reads <c>/metrics</c> into name → value.</summary>
    public async Task<IReadOnlyDictionary<string, double>> MetricsAsync(CancellationToken cancellationToken)
    {
        var text = await Client.GetStringAsync("/metrics", cancellationToken);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.StartsWith('#'))
            .Select(line => line.Split(' '))
            .ToDictionary(parts => parts[0], parts => double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Polls <c>/metrics</c> until <paramref name="name"/> reads <paramref name="value"/>: the engine publishes its
    /// gauges after each step, so an answer can reach the client a moment before the gauges that go with it.</summary>
    public async Task WaitForMetricAsync(string name, double value, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var last = double.NaN;
        try
        {
            while ((last = (await MetricsAsync(timeout.Token))[name]) != value)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Assert.Fail($"{name} stayed {last} for 30 s; expected {value}.");
        }
    }

    /// <summary>Polls <c>/metrics</c> until no request holds pages or state (what a leak would break).</summary>
    public async Task WaitIdleAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            var metrics = await MetricsAsync(timeout.Token);
            if (metrics["mlc_reference_kv_pages_used"] == 0 && metrics["mlc_reference_running_requests"] == 0
                && metrics["mlc_reference_parked_requests"] == 0 && metrics["mlc_reference_waiting_requests"] == 0
                && metrics["mlc_reference_pending_receives"] == 0)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), timeout.Token);
        }
    }

    public string Output => string.Join('\n', _output);

    /// <summary>Runs the engine executable to its exit, for command-line checks.</summary>
    public static async Task<(int ExitCode, string StandardError, string StandardOutput)> RunToExitAsync(IEnumerable<string> args, CancellationToken cancellationToken)
    {
        using var process = Process.Start(Command(args))!;
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await error, await output);
    }

    public static ProcessStartInfo Command(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(EngineDll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove(NvshmemInitVariable);
        return info;
    }

    public const string NvshmemInitVariable = "MLC_NVSHMEM_INIT_CONFIG_JSON_STR";

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 200)
        {
            _output.TryDequeue(out _);
        }
    }
}
