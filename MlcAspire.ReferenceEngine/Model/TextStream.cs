using Microsoft.ML.Tokenizers;

namespace MlcAspire.ReferenceEngine.Model;

/// <summary>
/// Turns one choice's generated tokens into text deltas: bytes that do not yet form whole UTF-8 characters
/// are held back, and so is any tail that could be the start of a stop string.
/// </summary>
internal sealed class TextStream(Tokenizer tokenizer, IReadOnlyList<string> stopStrings)
{
    private readonly List<int> _undecoded = [];
    private readonly StopStringMatcher _stops = new(stopStrings);
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
        var start = _held.Length;
        _held += decoded;
        for (var i = start; i < _held.Length; i++)
        {
            if (_stops.Feed(_held[i]) is > 0 and var stopLength)
            {
                var text = _held[..(i + 1 - stopLength)];
                _held = "";
                _stops.Reset();
                return (text, true);
            }
        }

        // The matcher has seen everything held; only the tail that could still grow into a stop string stays held.
        var keep = _stops.PendingLength;
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
        _stops.Reset();
        return rest;
    }
}
