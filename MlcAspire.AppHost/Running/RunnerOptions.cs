namespace MlcAspire.AppHost.Running;

/// <summary>How long each startup phase may take, and how often readiness is probed.</summary>
internal sealed record RunnerOptions
{
    /// <summary>The deadline of each phase: the NVSHMEM uid, all engines ready, the router ready.</summary>
    public TimeSpan PhaseTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The pause between two readiness probes of one resource (MLC polls every 0.1 s, spec §1.6).</summary>
    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromMilliseconds(100);
}
