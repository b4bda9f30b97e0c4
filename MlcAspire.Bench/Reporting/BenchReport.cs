namespace MlcAspire.Bench.Reporting;

internal sealed record BenchReport(
    string Preset,
    DateTimeOffset StartedUtc,
    string CommandLine,
    string Machine,
    IReadOnlyList<string> Notes,
    IReadOnlyList<ExperimentResult> Experiments,
    IReadOnlyList<DerivedMetric> Derived,
    IReadOnlyList<TargetCheck> Checks);
