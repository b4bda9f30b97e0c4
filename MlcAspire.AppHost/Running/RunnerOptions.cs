namespace MlcAspire.AppHost.Running;

/// <summary>How long each startup phase may take, how often readiness is probed, and how children are grouped.</summary>
internal sealed record RunnerOptions
{
    /// <summary>The deadline of each phase: the NVSHMEM uid, all engines ready, the router ready.</summary>
    public TimeSpan PhaseTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The pause between two readiness probes of one resource (MLC polls every 0.1 s, mlc-protocol.md §1.6).</summary>
    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Whether each child leads a session and process group of its own, so that a terminal's Ctrl+C reaches only the
    /// AppHost (<see cref="ManagedProcess"/>). The bench turns it off: Linux's autogroup scheduling shares the CPU
    /// equally between busy sessions, which on a shared 2-core machine caps the router at one session's share while
    /// the load generator and nginx share another, so it would measure the scheduler's grouping, not the router.
    /// </summary>
    public bool OwnSessions { get; init; } = true;
}
