using System.Threading.Channels;
using MlcAspire.ReferenceEngine.Telemetry;

namespace MlcAspire.ReferenceEngine.Serving;

/// <summary>
/// One request as the engine loop holds it: its choices, the deltas of the current step, its phase, and for
/// MicroServing its KV window. Touched only by the loop's thread.
/// </summary>
internal sealed class RequestState(EngineRequest request, long arrivedAt)
{
    public EngineRequest Request { get; } = request;

    /// <summary>The prep_recv request's settings stay when start_generate takes the parked state over, as in MLC.</summary>
    public GenerationSettings Settings { get; } = request.Settings;

    /// <summary>Where events go: the submitting request's, replaced by start_generate's when it takes the parked state.</summary>
    public ChannelWriter<EngineEvent> Events { get; set; } = request.Events;

    public CancellationToken Aborted { get; set; } = request.Aborted;

    public List<SequenceState> Sequences { get; } = [];

    /// <summary>Text produced since the last event; flushed once the step's time has passed.</summary>
    public List<ChoiceDelta> Deltas { get; } = [];

    public RequestPhase Phase { get; set; } = RequestPhase.Waiting;

    /// <summary>Started by start_generate: a preemption aborts it with <c>preempt</c> instead of requeueing it.</summary>
    public bool FromDisaggregation { get; set; }

    public long ArrivedAt { get; set; } = arrivedAt;

    public long? FirstTokenAt { get; set; }

    public int PrefillTokens { get; set; }

    public int DecodeTokens { get; set; }

    /// <summary>remote_send's <c>begin</c>: the first row pushed.</summary>
    public int WindowBegin { get; set; }

    /// <summary>prep_recv's and remote_send's resolved <c>end</c>.</summary>
    public int WindowEnd { get; set; }

    /// <summary>remote_send's destination slots on the receiver, decoded from <c>kv_addr_info</c>.</summary>
    public long[] SendSlots { get; set; } = [];

    public required RequestTrace Trace { get; set; }
}
