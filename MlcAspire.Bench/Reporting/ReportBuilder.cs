namespace MlcAspire.Bench.Reporting;

/// <summary>What a preset adds to the report as it runs.</summary>
internal sealed class ReportBuilder
{
    public List<string> Notes { get; } = [];

    public List<ExperimentResult> Experiments { get; } = [];

    public List<DerivedMetric> Derived { get; } = [];

    public List<TargetCheck> Checks { get; } = [];

    /// <summary>Adds <paramref name="minuend"/> − <paramref name="subtrahend"/> per percentile; null when either
    /// target did not run (e.g. nginx absent) or <paramref name="metric"/> has no value for it.</summary>
    public DerivedMetric? AddDifference(
        string name, ExperimentResult experiment, string minuend, string subtrahend, Func<TargetResult, Distribution?> metric)
    {
        if (experiment[minuend] is not { } a || experiment[subtrahend] is not { } b || metric(a) is not { } da || metric(b) is not { } db)
        {
            return null;
        }

        var derived = new DerivedMetric(name, "ms", da.P50 - db.P50, da.P90 - db.P90, da.P99 - db.P99);
        Derived.Add(derived);
        return derived;
    }

    /// <summary>Adds a target; <paramref name="isDifference"/> marks a via-proxy − baseline value, which is NOISY
    /// rather than PASS when it is implausibly negative.</summary>
    public void AddCheck(string name, string comparison, double limit, double? measured, string unit, bool isDifference = false)
    {
        if (measured is { } value)
        {
            Checks.Add(new TargetCheck(name, comparison, limit, value, unit, isDifference ? -Math.Abs(limit) : null));
        }
        else
        {
            Notes.Add($"Target not measured: {name} (a target it needs did not run).");
        }
    }

    public BenchReport Build(string preset, DateTimeOffset started, string commandLine) =>
        new(preset, started, commandLine, $"{Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}",
            Notes, Experiments, Derived, Checks);
}
