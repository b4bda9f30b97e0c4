namespace MlcAspire.Bench.Reporting;

/// <summary>A published performance target with the value this run measured.</summary>
/// <param name="Floor">For a difference (via router − baseline), the least plausible value: a proxy cannot be faster
/// than going direct, so a difference below −limit means the run's noise exceeds what the target asks to resolve.</param>
/// <param name="Detail">What the measured value is made of (a ratio's two sides), for the reader.</param>
/// <remarks>A measured value of NaN is a ratio whose baseline is not above zero (nginx adds nothing this run can
/// resolve): not a pass, not a miss.</remarks>
internal sealed record TargetCheck(string Name, string Comparison, double Limit, double Measured, string Unit, double? Floor = null, string? Detail = null)
{
    public string Status => double.IsNaN(Measured) || (Floor is { } floor && Measured < floor) ? "NOISY" : Meets ? "MET" : "MISSED";

    public bool Met => Status == "MET";

    private bool Meets => Comparison switch
    {
        "<=" => Measured <= Limit,
        "<" => Measured < Limit,
        ">=" => Measured >= Limit,
        _ => false,
    };
}
