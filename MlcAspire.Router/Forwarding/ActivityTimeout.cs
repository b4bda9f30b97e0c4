namespace MlcAspire.Router.Forwarding;

/// <summary>
/// One token for an engine call that combines the caller's token with a timeout that can be re-armed on every
/// read, so a long generation never hits a total timeout but a silent engine does.
/// </summary>
/// <remarks>
/// After YARP's ActivityCancellationTokenSource. <see cref="TimedOut"/> tells a timeout (504) from the caller
/// cancelling (the client left), which must not be reported as an engine fault.
/// </remarks>
public sealed class ActivityTimeout : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly CancellationToken _callerToken;
    private readonly CancellationTokenRegistration _registration;

    public ActivityTimeout(TimeProvider timeProvider, TimeSpan timeout, CancellationToken callerToken)
    {
        _callerToken = callerToken;
        _source = new CancellationTokenSource(timeout, timeProvider);
        _registration = callerToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), _source);
    }

    public CancellationToken Token => _source.Token;

    /// <summary>True when the timeout fired rather than the caller cancelling.</summary>
    public bool TimedOut => _source.IsCancellationRequested && !_callerToken.IsCancellationRequested;

    /// <summary>Starts the timeout anew, e.g. after a successful read or for the next phase.</summary>
    public void Reset(TimeSpan timeout)
    {
        if (!_source.IsCancellationRequested)
        {
            _source.CancelAfter(timeout);
        }
    }

    public void Dispose()
    {
        _registration.Dispose();
        _source.Dispose();
    }
}
