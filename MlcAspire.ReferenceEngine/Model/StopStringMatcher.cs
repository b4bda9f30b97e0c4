namespace MlcAspire.ReferenceEngine.Model;

/// <summary>
/// Finds stop strings in generated text as it streams, one character at a time, with a Knuth–Morris–Pratt automaton
/// per stop string: each character costs amortized O(number of stops), whatever the stops' lengths, so a request with
/// the engine's longest allowed stop strings cannot make each token cost their square (rescanning the held-back tail
/// for every possible stop prefix did). The automaton's state per stop is also the length of the longest tail of the
/// text that could still grow into that stop: exactly what must be held back.
/// </summary>
internal sealed class StopStringMatcher
{
    private readonly string[] _stops;
    private readonly int[][] _fallback;
    private readonly int[] _matched;

    public StopStringMatcher(IReadOnlyList<string> stops)
    {
        _stops = [.. stops.Where(stop => stop.Length > 0)];
        _fallback = [.. _stops.Select(Fallback)];
        _matched = new int[_stops.Length];
    }

    /// <summary>The length of the longest tail of the text fed so far that is a proper prefix of some stop string.</summary>
    public int PendingLength => _matched.Length == 0 ? 0 : _matched.Max();

    /// <summary>
    /// Feeds one character; returns the length of the stop string that ends with it (the earliest-ending match wins,
    /// the first listed among those ending at the same character), or 0.
    /// </summary>
    public int Feed(char c)
    {
        var found = 0;
        for (var i = 0; i < _stops.Length; i++)
        {
            var stop = _stops[i];
            var state = _matched[i];
            while (state > 0 && stop[state] != c)
            {
                state = _fallback[i][state - 1];
            }

            if (stop[state] == c)
            {
                state++;
            }

            if (state == stop.Length)
            {
                found = found == 0 ? stop.Length : found;
                state = _fallback[i][state - 1];
            }

            _matched[i] = state;
        }

        return found;
    }

    /// <summary>Forgets the text fed so far.</summary>
    public void Reset() => Array.Clear(_matched);

    /// <summary>KMP's failure function: for each prefix length k+1, the length of its longest proper border.</summary>
    private static int[] Fallback(string stop)
    {
        var fallback = new int[stop.Length];
        for (int i = 1, border = 0; i < stop.Length; i++)
        {
            while (border > 0 && stop[i] != stop[border])
            {
                border = fallback[border - 1];
            }

            if (stop[i] == stop[border])
            {
                border++;
            }

            fallback[i] = border;
        }

        return fallback;
    }
}
