namespace MlcAspire.Router.Scheduling;

/// <summary>The KV window rules of MicroServing (mlc-protocol.md §4.5); a violation is a fatal engine check, so the router checks first.</summary>
public static class KvWindow
{
    /// <summary>Below this, a balance factor means "decode engine prefills only the last token" (MLC's <c>abs(f) &lt; 1e-5</c>).</summary>
    private const double ZeroBalance = 1e-5;

    /// <summary>
    /// The <c>end</c> sent to prep_recv for a prompt of <paramref name="promptLength"/> tokens, as MLC computes it:
    /// -1 for a zero factor, else <c>trunc((1 - f) * L)</c>, kept below L so the decode engine has a token left.
    /// </summary>
    public static int ComputeEnd(double pdBalanceFactor, int promptLength)
    {
        if (Math.Abs(pdBalanceFactor) < ZeroBalance)
        {
            return -1;
        }

        var end = (int)((1 - pdBalanceFactor) * promptLength);
        return Math.Min(end, promptLength - 1);
    }

    /// <summary>Resolves a Python-style negative end against the prompt length.</summary>
    public static int Resolve(int end, int promptLength) => end < 0 ? promptLength + end : end;

    /// <summary>prep_recv: <c>0 ≤ end &lt; L</c> once resolved.</summary>
    public static string? CheckPrepRecv(int end, int promptLength)
    {
        var resolved = Resolve(end, promptLength);
        return resolved >= 0 && resolved < promptLength
            ? null
            : $"The KV window end {end} does not fit a prompt of {promptLength} tokens (need 0 <= end < {promptLength}).";
    }

    /// <summary>The answer of prep_recv against the window asked for: the matched prefix lies inside it and the metadata covers the rest.</summary>
    public static string? CheckPrepRecvAnswer(int resolvedEnd, int prefixMatchedLength, KvAppendMetadata metadata)
    {
        if (prefixMatchedLength < 0 || prefixMatchedLength > resolvedEnd)
        {
            return $"prefix_matched_length {prefixMatchedLength} lies outside the window [0, {resolvedEnd}].";
        }

        var metadataEnd = prefixMatchedLength + metadata.SlotCount;
        return metadataEnd == resolvedEnd
            ? null
            : $"kv_append_metadata covers up to {metadataEnd}, but the window ends at {resolvedEnd}.";
    }

    /// <summary>remote_send is skipped when the decode engine's matched prefix already covers the window (it would fail <c>begin &lt; end</c>).</summary>
    public static bool NeedsRemoteSend(int prefixMatchedLength, int resolvedEnd) => prefixMatchedLength < resolvedEnd;
}
