namespace MlcAspire.Bench.Measurement;

/// <summary>One workload at one load, measured on several targets in interleaved slices: each round visits every
/// target for <see cref="Slice"/> (starting one target later each round), so that drift of the shared machine
/// (thermal, other processes, GC of long-lived processes) falls on all targets alike.</summary>
internal sealed record Experiment(
    string Name,
    string Description,
    Workload Workload,
    LoadShape Shape,
    IReadOnlyList<string> Targets,
    int Rounds,
    TimeSpan Slice,
    TimeSpan Warmup);
