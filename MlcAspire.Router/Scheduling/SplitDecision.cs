using System.Globalization;

namespace MlcAspire.Router.Scheduling;

/// <summary>How one disaggregated request is split between its prefill and decode engines.</summary>
/// <param name="Local">The decode engine computes the whole prompt itself (its own <c>/v1/completions</c>).</param>
/// <param name="End">The window end sent to prep_recv on a remote split (resolved, <c>0 ≤ end &lt; L</c>).</param>
/// <param name="BalanceFactor">The share of the prompt the decode engine computes, in MLC's sense.</param>
/// <param name="Reason"><c>short</c>, <c>no-prefill-engine</c> or <c>remote</c>.</param>
/// <param name="UncachedTokens">The prompt tokens the decode engine did not hold, by the index.</param>
public readonly record struct SplitDecision(bool Local, int End, double BalanceFactor, string Reason, int UncachedTokens)
{
    public static SplitDecision LocalFor(string reason, int uncachedTokens) => new(true, -1, 1, reason, uncachedTokens);

    /// <summary><c>local(short)</c> or <c>remote(end=1500,factor=0.25)</c>.</summary>
    public override string ToString() => Local
        ? $"local({Reason})"
        : string.Create(CultureInfo.InvariantCulture, $"remote(end={End},factor={BalanceFactor:0.###})");
}
