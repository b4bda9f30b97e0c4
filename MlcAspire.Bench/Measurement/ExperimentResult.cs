namespace MlcAspire.Bench.Measurement;

/// <param name="SyscallCounting">How the targets' syscalls were counted, or why they were not; null when not asked.</param>
internal sealed record ExperimentResult(
    string Name,
    string Description,
    string Workload,
    string Load,
    int Rounds,
    double SliceSeconds,
    IReadOnlyList<TargetResult> Targets,
    string? SyscallCounting = null)
{
    public TargetResult? this[string target] => Targets.FirstOrDefault(t => t.Target == target);
}
