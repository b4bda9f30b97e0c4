namespace MlcAspire.Router.Admission;

/// <summary>
/// Bounds the completions the router works on: <see cref="RouterReliabilityOptions.MaxInFlightPerEngine"/> per generating
/// engine run at once, up to <see cref="RouterReliabilityOptions.MaxQueuedRequests"/> more wait (before their body is read,
/// so a waiting request costs only its connection), and everything beyond is refused at once. Memory stays bounded
/// under any burst.
/// </summary>
internal sealed class AdmissionGate : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly RouterReliabilityOptions _options;
    private readonly TimeProvider _timeProvider;
    private int _queued;

    public AdmissionGate(EngineScheduler scheduler, IOptions<RouterReliabilityOptions> options, TimeProvider timeProvider)
    {
        _options = options.Value;
        _timeProvider = timeProvider;
        Capacity = _options.MaxInFlightPerEngine * Math.Max(1, scheduler.Engines.Count(e => e.CanDecode));
        _slots = new SemaphoreSlim(Capacity, Capacity);
    }

    /// <summary>Completions that may run at once.</summary>
    public int Capacity { get; }

    /// <summary>Completions running now.</summary>
    public int InFlight => Capacity - _slots.CurrentCount;

    public int Queued => Volatile.Read(ref _queued);

    /// <summary>Takes a slot, waiting in the bounded queue if needed; false when the queue is full or the wait timed out.</summary>
    public async ValueTask<bool> EnterAsync(CancellationToken cancellationToken)
    {
        if (_slots.Wait(0, CancellationToken.None))
        {
            return true;
        }

        if (Interlocked.Increment(ref _queued) > _options.MaxQueuedRequests)
        {
            Interlocked.Decrement(ref _queued);
            return false;
        }

        try
        {
            using var timeout = new CancellationTokenSource(_options.QueueTimeout, _timeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            await _slots.WaitAsync(linked.Token);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        finally
        {
            Interlocked.Decrement(ref _queued);
        }
    }

    public void Exit() => _slots.Release();

    public void Dispose() => _slots.Dispose();
}
