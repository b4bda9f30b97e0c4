namespace MlcAspire.Bench.Reporting;

/// <summary>A published performance target with the value this run measured.</summary>
/// <param name="Floor">For a difference (via router − baseline), the least plausible value: a proxy cannot be faster
/// than going direct, so a difference below −limit means the run's noise exceeds what the target asks to resolve.</param>
internal sealed record TargetCheck(string Name, string Comparison, double Limit, double Measured, string Unit, double? Floor = null)
{
    public string Status => Floor is { } floor && Measured < floor ? "NOISY" : Meets ? "PASS" : "MISS";

    public bool Pass => Status == "PASS";

    private bool Meets => Comparison switch
    {
        "<=" => Measured <= Limit,
        "<" => Measured < Limit,
        ">=" => Measured >= Limit,
        _ => false,
    };
}
