namespace MlcAspire.Bench.Reporting;

/// <summary>A published performance target with the value this run measured.</summary>
internal sealed record TargetCheck(string Name, string Comparison, double Limit, double Measured, string Unit)
{
    public bool Pass => Comparison switch
    {
        "<=" => Measured <= Limit,
        "<" => Measured < Limit,
        ">=" => Measured >= Limit,
        _ => false,
    };
}
