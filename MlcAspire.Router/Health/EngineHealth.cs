namespace MlcAspire.Router.Health;

/// <summary>
/// One engine's circuit breaker, fed passively by the outcome of every engine call (<see cref="PassiveHealthPolicy"/>)
/// and actively by <see cref="EngineHealthProbe"/>. Thread-safe; every transition happens under its own lock.
/// </summary>
public sealed class EngineHealth(TimeProvider timeProvider, int failureThreshold, TimeSpan breakDuration)
{
    private readonly Lock _lock = new();
    private CircuitState _state = CircuitState.Closed;
    private int _consecutiveFailures;
    private long _openUntil;
    private bool _trialInFlight;
    private long _lastProgress = timeProvider.GetTimestamp();
    private int _openStreams;

    public CircuitState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>The last call failed: the scheduler prefers any engine that did not, so a retry goes elsewhere.</summary>
    public bool IsSuspect => Volatile.Read(ref _consecutiveFailures) > 0;

    /// <summary>Why the circuit last opened; null while it never did.</summary>
    public string? LastFailure { get; private set; }

    /// <summary>Time since the engine last produced something (a chunk or an answer).</summary>
    public TimeSpan SinceProgress => timeProvider.GetElapsedTime(Volatile.Read(ref _lastProgress));

    /// <summary>Token streams the router is reading from the engine now.</summary>
    public int OpenStreams => Volatile.Read(ref _openStreams);

    /// <summary>
    /// Whether the engine's generation looks stuck: a token stream is open, yet nothing came for <paramref name="stuckTimeout"/>.
    /// </summary>
    /// <remarks>
    /// Only open streams count. A decoding engine emits a token per step, for every running request, so a silent stream
    /// means a silent engine. A call still waiting for its answer proves nothing: prep_recv may wait in D's queue for
    /// <c>PrepRecvTimeout</c>, and remote_send or a long prompt's prefill may compute for <c>RemoteSendTimeout</c> or
    /// <c>FirstTokenTimeout</c>, all longer than a stuck timeout; those calls are bounded by their own timeouts, whose
    /// expiry counts as an engine fault.
    /// </remarks>
    public bool IsStuck(TimeSpan stuckTimeout) => OpenStreams > 0 && SinceProgress > stuckTimeout;

    /// <summary>The router starts reading a token stream; its headers are progress, so the stuck clock starts here.</summary>
    public void OnStreamStarted()
    {
        RecordProgress();
        Interlocked.Increment(ref _openStreams);
    }

    public void OnStreamEnded() => Interlocked.Decrement(ref _openStreams);

    /// <summary>Whether the scheduler may pick the engine now: closed, or past its break with no trial running.</summary>
    public bool IsAvailable
    {
        get
        {
            lock (_lock)
            {
                return _state switch
                {
                    CircuitState.Closed => true,
                    CircuitState.Open => timeProvider.GetTimestamp() >= _openUntil,
                    _ => !_trialInFlight,
                };
            }
        }
    }

    /// <summary>Called when the scheduler picked the engine; a pick after the break is the half-open trial.</summary>
    /// <param name="wasIdle">No work was in flight: the stuck clock starts now, not at the last answer long ago.</param>
    public void OnDispatched(bool wasIdle)
    {
        if (wasIdle)
        {
            RecordProgress();
        }

        lock (_lock)
        {
            if (_state != CircuitState.Closed)
            {
                _state = CircuitState.HalfOpen;
                _trialInFlight = true;
            }
        }
    }

    public void RecordProgress() => Volatile.Write(ref _lastProgress, timeProvider.GetTimestamp());

    public void RecordSuccess()
    {
        RecordProgress();
        lock (_lock)
        {
            _state = CircuitState.Closed;
            _consecutiveFailures = 0;
            _trialInFlight = false;
        }
    }

    /// <summary>An engine fault; opens the circuit at the threshold, or at once when it was the half-open trial.</summary>
    public void RecordFault(string reason)
    {
        lock (_lock)
        {
            _consecutiveFailures++;
            if (_state == CircuitState.HalfOpen || _consecutiveFailures >= failureThreshold)
            {
                OpenLocked(reason);
            }
        }
    }

    /// <summary>Opens the circuit now, whatever the count: the engine is unreachable or stuck.</summary>
    public void Trip(string reason)
    {
        lock (_lock)
        {
            OpenLocked(reason);
        }
    }

    /// <summary>A trial that ended without a verdict (the client left) frees the half-open slot for the next one.</summary>
    public void RecordInconclusive()
    {
        lock (_lock)
        {
            _trialInFlight = false;
        }
    }

    private void OpenLocked(string reason)
    {
        _state = CircuitState.Open;
        _trialInFlight = false;
        _openUntil = timeProvider.GetTimestamp() + (long)(breakDuration.TotalSeconds * timeProvider.TimestampFrequency);
        LastFailure = reason;
    }
}
