namespace MlcAspire.Bench.Measurement;

/// <summary>One workload at one load, measured on several targets in interleaved slices: each round visits every
/// target for <see cref="Slice"/> (starting one target later each round), so that drift of the shared machine
/// (thermal, other processes, GC of long-lived processes) falls on all targets alike.</summary>
/// <param name="RecordChunkTimes">Pair every streamed event with the engines' send-time logs
/// (<see cref="TargetResult.ChunkDelivery"/>); needs a topology started with <see cref="EngineSettings.RecordChunkTimes"/>.</param>
/// <param name="CountSyscalls">After the rounds, one more slice per proxied target with its syscalls counted
/// (<see cref="TargetResult.Syscalls"/>, <see cref="SyscallCounter"/>); its requests are in no other figure.</param>
internal sealed record Experiment(
    string Name,
    string Description,
    Workload Workload,
    LoadShape Shape,
    IReadOnlyList<string> Targets,
    int Rounds,
    TimeSpan Slice,
    TimeSpan Warmup,
    bool RecordChunkTimes = false,
    bool CountSyscalls = false);
