using System.Collections.Concurrent;
using System.Net.Sockets;

namespace MlcAspire.Router.Health;

/// <summary>
/// The active half of the health checks. Every <see cref="RouterReliabilityOptions.ProbeInterval"/>, for each engine:
/// readiness (<c>GET /v1/models</c>, what MLC's router polls) and generation progress. An engine that does not
/// answer, or that has a token stream open but produced no chunk or answer for <see cref="RouterReliabilityOptions.StuckTimeout"/>
/// (its HTTP answers but generation is stuck, see <see cref="EngineHealth.IsStuck"/>), is taken out of rotation: a refused connection (the process is gone)
/// at once, other readiness failures (a slow answer on a starved machine) after <see cref="RouterReliabilityOptions.FailureThreshold"/>
/// in a row. A readiness answer after the break is the half-open probe that closes the circuit.
/// </summary>
internal sealed class EngineHealthProbe(
    EngineScheduler scheduler, IHttpClientFactory httpClientFactory, TimeProvider timeProvider, IOptions<RouterReliabilityOptions> options,
    ILogger<EngineHealthProbe> logger) : BackgroundService
{
    public const string ReadinessPath = "v1/models";

    private readonly RouterReliabilityOptions _options = options.Value;

    /// <summary>Consecutive failed readiness probes per engine; each engine is probed by one task at a time.</summary>
    private readonly ConcurrentDictionary<string, int> _probeFailures = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The first probe waits one interval: whoever started the router waited for the engines to be ready.
        using var timer = new PeriodicTimer(_options.ProbeInterval, timeProvider);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await Task.WhenAll(scheduler.Engines.Select(engine => ProbeAsync(engine, stoppingToken)));
        }
    }

    private async Task ProbeAsync(EngineState engine, CancellationToken stoppingToken)
    {
        var health = engine.Health;
        if (health.State == CircuitState.Closed && health.IsStuck(_options.StuckTimeout))
        {
            var reason = $"{engine.Name} has {health.OpenStreams} token streams open but produced nothing for {health.SinceProgress.TotalSeconds:F0} s.";
            health.Trip(reason);
            RouterLog.EngineCircuitOpened(logger, engine.Name, reason);
            return;
        }

        var ready = await IsReadyAsync(engine, stoppingToken);
        if (stoppingToken.IsCancellationRequested)
        {
            return;
        }

        if (ready is { } failure)
        {
            var failures = _probeFailures.AddOrUpdate(engine.Name, 1, (_, count) => count + 1);
            if (failure.Refused || failures >= _options.FailureThreshold)
            {
                if (health.State != CircuitState.Open)
                {
                    RouterLog.EngineCircuitOpened(logger, engine.Name, failure.Reason);
                }

                health.Trip(failure.Reason);
            }

            return;
        }

        _probeFailures[engine.Name] = 0;
        if (health.State != CircuitState.Closed && health.IsAvailable)
        {
            health.RecordSuccess();
            RouterLog.EngineCircuitClosed(logger, engine.Name);
        }
    }

    /// <summary>Null when the engine answered 200, else why not and whether the connection was refused.</summary>
    private async Task<(string Reason, bool Refused)?> IsReadyAsync(EngineState engine, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(_options.ProbeTimeout);
        try
        {
            var client = httpClientFactory.CreateClient(nameof(EngineClient));
            using var response = await client.GetAsync(new Uri(engine.BaseAddress, ReadinessPath), HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return response.IsSuccessStatusCode ? null : ($"{engine.Name} answered {ReadinessPath} with {(int)response.StatusCode}.", false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
        {
            var refused = ex is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } && ex.InnerException is SocketException
            {
                SocketErrorCode: SocketError.ConnectionRefused,
            };
            return ($"{engine.Name} did not answer {ReadinessPath}: {ex.Message}", refused);
        }
    }
}
