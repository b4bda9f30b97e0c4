namespace MlcAspire.Router.Health;

/// <summary>Whether the scheduler may send work to an engine.</summary>
public enum CircuitState
{
    /// <summary>Healthy: in rotation.</summary>
    Closed,

    /// <summary>Failed (consecutive faults, a failed readiness probe or stuck generation): out of rotation until the break ends.</summary>
    Open,

    /// <summary>The break ended: one trial (a request or a probe) is in flight; its outcome closes or reopens the circuit.</summary>
    HalfOpen,
}
