namespace MlcAspire.ReferenceEngine.Serving;

/// <summary>Where a request stands in the engine loop.</summary>
internal enum RequestPhase
{
    /// <summary>In the waiting queue (new, preempted back, or a start_generate put first).</summary>
    Waiting,

    /// <summary>Admitted: advanced by every step.</summary>
    Running,

    /// <summary>prep_recv reserved its slots; the request waits for start_generate in no queue.</summary>
    Parked,

    /// <summary>Finished, aborted or failed; its pages are free.</summary>
    Done,
}
