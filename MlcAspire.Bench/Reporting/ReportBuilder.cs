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
    /// rather than MET when it is implausibly negative.</summary>
    public void AddCheck(string name, string comparison, double limit, double? measured, string unit, bool isDifference = false, string? detail = null)
    {
        if (measured is { } value)
        {
            Checks.Add(new TargetCheck(name, comparison, limit, value, unit, isDifference ? -Math.Abs(limit) : null, detail));
        }
        else
        {
            Notes.Add($"Target not measured: {name} (a target it needs did not run).");
        }
    }

    /// <summary>Adds a target on <paramref name="numerator"/> / <paramref name="denominator"/> (router over nginx);
    /// the check carries both sides. A denominator not above zero gives no ratio: the check is NOISY.</summary>
    public void AddRatioCheck(
        string name, string comparison, double limit, (string Name, double? Value) numerator, (string Name, double? Value) denominator, string unit)
    {
        if (numerator.Value is not { } top || denominator.Value is not { } bottom)
        {
            Notes.Add($"Target not measured: {name} (a target it needs did not run).");
            return;
        }

        var ratio = bottom > 0 ? top / bottom : double.NaN;
        Checks.Add(new TargetCheck(name, comparison, limit, ratio, "×", Detail: FormattableString.Invariant(
            $"{numerator.Name} {top:0.000} {unit} / {denominator.Name} {bottom:0.000} {unit}{(bottom > 0 ? "" : ": no ratio to a baseline at or below 0")}")));
    }

    public BenchReport Build(string preset, DateTimeOffset started, string commandLine) =>
        new(preset, started, commandLine, $"{Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}",
            Notes, Experiments, Derived, Checks);
}
