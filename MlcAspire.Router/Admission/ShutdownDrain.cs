namespace MlcAspire.Router.Admission;

/// <summary>
/// Graceful shutdown: once the host stops, Kestrel accepts no new connections and the router admits no new
/// completion; those in flight may finish for <see cref="RouterReliabilityOptions.DrainTimeout"/>, after which
/// <see cref="Deadline"/> fires and <see cref="AdmissionMiddleware"/> ends each with an error.
/// </summary>
internal sealed class ShutdownDrain : IDisposable
{
    private readonly CancellationTokenSource _deadline;
    private readonly CancellationTokenRegistration _registration;

    public ShutdownDrain(IHostApplicationLifetime lifetime, IOptions<RouterReliabilityOptions> options, TimeProvider timeProvider)
    {
        // Created on the TimeProvider so that CancelAfter runs on its clock.
        _deadline = new CancellationTokenSource(Timeout.InfiniteTimeSpan, timeProvider);
        var drainTimeout = options.Value.DrainTimeout;
        _registration = lifetime.ApplicationStopping.Register(() => _deadline.CancelAfter(drainTimeout));
        Stopping = lifetime.ApplicationStopping;
    }

    /// <summary>The host is stopping: admit nothing new.</summary>
    public CancellationToken Stopping { get; }

    /// <summary>The drain deadline passed: end what is still running.</summary>
    public CancellationToken Deadline => _deadline.Token;

    public void Dispose()
    {
        _registration.Dispose();
        _deadline.Dispose();
    }
}
