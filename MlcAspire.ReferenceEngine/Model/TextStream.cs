using Microsoft.ML.Tokenizers;

namespace MlcAspire.ReferenceEngine.Model;

/// <summary>
/// Turns one choice's generated tokens into text deltas: bytes that do not yet form whole UTF-8 characters
/// are held back, and so is any tail that could be the start of a stop string.
/// </summary>
internal sealed class TextStream(Tokenizer tokenizer, IReadOnlyList<string> stopStrings)
{
    private readonly List<int> _undecoded = [];
    private string _held = "";

    /// <summary>Adds a token; returns the text that can be emitted now and whether a stop string was hit.</summary>
    public (string Text, bool Stopped) Append(int token)
    {
        _undecoded.Add(token);
        var decoded = tokenizer.Decode(_undecoded) ?? "";
        if (decoded.EndsWith('\uFFFD'))
        {
            return ("", false);
        }

        _undecoded.Clear();
        _held += decoded;
        foreach (var stop in stopStrings)
        {
            var at = _held.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0)
            {
                var text = _held[..at];
                _held = "";
                return (text, true);
            }
        }

        var keep = stopStrings.Count == 0 ? 0 : Enumerable.Range(1, _held.Length).LastOrDefault(IsStopPrefixOfLength);
        var emitted = _held[..^keep];
        _held = _held[^keep..];
        return (emitted, false);
    }

    /// <summary>Whatever is still held back when the choice ends without a stop string.</summary>
    public string Flush()
    {
        var rest = _held + (_undecoded.Count > 0 ? tokenizer.Decode(_undecoded) : "");
        _undecoded.Clear();
        _held = "";
        return rest;
    }

    private bool IsStopPrefixOfLength(int length) =>
        stopStrings.Any(stop => stop.Length > length && stop.StartsWith(_held[^length..], StringComparison.Ordinal));
}
