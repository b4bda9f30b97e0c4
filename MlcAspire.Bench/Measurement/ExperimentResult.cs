namespace MlcAspire.Bench.Measurement;

internal sealed record ExperimentResult(
    string Name,
    string Description,
    string Workload,
    string Load,
    int Rounds,
    double SliceSeconds,
    IReadOnlyList<TargetResult> Targets)
{
    public TargetResult? this[string target] => Targets.FirstOrDefault(t => t.Target == target);
}
