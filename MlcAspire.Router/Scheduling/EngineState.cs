namespace MlcAspire.Router.Scheduling;

/// <summary>
/// One engine's live state as the router sees it: its address and role (from <see cref="EngineConfig"/>), its load,
/// call counts and circuit breaker (YARP's <c>DestinationState</c>).
/// </summary>
/// <remarks>Counters change only under <see cref="EngineScheduler"/>'s lock or through Interlocked.</remarks>
public sealed class EngineState(string name, EngineRole role, int peStart, EngineHealth health)
{
    private int _activeRequests;
    private long _totalRequests;
    private long _failedRequests;
    private long _prefillBacklog;
    private volatile bool _isDrained;

    public string Name { get; } = name;

    /// <summary>The logical address service discovery resolves, e.g. <c>http://engine-0/</c>.</summary>
    public Uri BaseAddress { get; } = new($"http://{name}/");

    public EngineRole Role { get; } = role;

    /// <summary>Sent as <c>recv_rank</c> when this engine receives KV.</summary>
    public int PeStart { get; } = peStart;

    /// <summary>Its circuit breaker: the scheduler skips it while open.</summary>
    public EngineHealth Health { get; } = health;

    /// <summary>
    /// An operator took the engine out of rotation (<c>POST /router/engines/{name}/drain</c>): the scheduler gives it no
    /// new work, while the requests it already serves run to their end.
    /// </summary>
    public bool IsDrained
    {
        get => _isDrained;
        set => _isDrained = value;
    }

    /// <summary>Whether the scheduler may give it new work now: its circuit lets calls through and no operator drained it.</summary>
    public bool InRotation => !_isDrained && Health.IsAvailable;

    public int ActiveRequests => Volatile.Read(ref _activeRequests);

    public long TotalRequests => Interlocked.Read(ref _totalRequests);

    public long FailedRequests => Interlocked.Read(ref _failedRequests);

    /// <summary>
    /// Prompt tokens this engine is still to compute as the prefill engine of the handoffs in flight on it (each one's
    /// window less the prefix the index says the engine holds), counted until its remote_send returns: its queue, in
    /// tokens, for the adaptive split (<see cref="AdaptiveSplit"/>).
    /// </summary>
    public long PrefillBacklogTokens => Interlocked.Read(ref _prefillBacklog);

    public bool CanPrefill => Role is EngineRole.Prefill or EngineRole.Both;

    public bool CanDecode => Role is EngineRole.Decode or EngineRole.Both;

    internal void Acquire()
    {
        Interlocked.Increment(ref _activeRequests);
        Interlocked.Increment(ref _totalRequests);
    }

    internal void Release() => Interlocked.Decrement(ref _activeRequests);

    internal void AddPrefillBacklog(long tokens) => Interlocked.Add(ref _prefillBacklog, tokens);

    /// <summary>Counts a failed call for <c>/router/status</c>; the circuit breaker is <see cref="EngineHealth.RecordFault"/>.</summary>
    internal void CountFailedCall() => Interlocked.Increment(ref _failedRequests);
}
