namespace MlcAspire.Bench.Reporting;

/// <summary>A difference of two targets' distributions, percentile by percentile (e.g. via router − direct).</summary>
internal sealed record DerivedMetric(string Name, string Unit, double P50, double P90, double P99);
