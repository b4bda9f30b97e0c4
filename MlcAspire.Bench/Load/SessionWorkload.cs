namespace MlcAspire.Bench.Load;

/// <summary>
/// Multi-turn sessions, the traffic cache-aware routing is for: each session opens with one of a few shared system
/// prompts and its own first message; each later turn is the last prompt plus a stand-in for the reply and a new user
/// message, so every turn extends the one before. With <see cref="SharePrefixes"/> off, every turn is instead a fresh
/// random prompt of the same length: the same token counts with nothing for a prefix cache to reuse.
/// </summary>
/// <param name="SharedPrefixes">Distinct system prompts; session s uses number s mod this.</param>
internal sealed record SessionWorkload(
    int Sessions, int Turns, int SharedPrefixes, int SystemTokens, int FirstUserTokens, int ReplyTokens, int UserTokens, int OutputTokens,
    bool SharePrefixes)
{
    private const int FirstTokenId = 100;
    private const int TokenIdSpan = 900;

    public override string ToString() => SharePrefixes
        ? $"{Sessions} sessions × {Turns} turns; {SharedPrefixes} shared {SystemTokens}-token system prompts + {FirstUserTokens}-token first message, " +
          $"each turn + {ReplyTokens + UserTokens} tokens; {OutputTokens} output tokens, streamed"
        : $"{Sessions} sessions × {Turns} turns of fresh random prompts of the same lengths (no shared prefix); {OutputTokens} output tokens, streamed";

    /// <summary>Prompt tokens of one job: what the engines would compute without any prefix cache.</summary>
    public long PromptTokens => (long)Sessions * Enumerable.Range(0, Turns).Sum(PromptLength);

    /// <summary>
    /// Prompt tokens an engine computes per request, on average, when each turn lands on one of <paramref name="engines"/>
    /// engines regardless of what they hold (least-loaded routing), once every engine holds every system prompt: the
    /// first turn computes its first message; a later turn, on the engine of the turn before it (one chance in
    /// <paramref name="engines"/>), the new tokens, else everything after the system prompt. With no shared prefix, the
    /// whole prompt.
    /// </summary>
    public double RandomPlacementComputedTokens(int engines)
    {
        var total = 0.0;
        for (var t = 0; t < Turns; t++)
        {
            var afterSystem = PromptLength(t) - SystemTokens;
            total += !SharePrefixes ? PromptLength(t)
                : t == 0 ? afterSystem
                : (afterSystem * (engines - 1.0) + ReplyTokens + UserTokens) / engines;
        }

        return total / Turns;
    }

    /// <summary>The sessions' turns, in order; new random tokens for every <paramref name="seed"/>, so no job reuses another's cache.</summary>
    public List<RequestSpec[]> Prepare(string model, int seed)
    {
        var random = new Random(seed);
        var systems = Systems(random);
        var sessions = new List<RequestSpec[]>(Sessions);
        for (var s = 0; s < Sessions; s++)
        {
            var turns = new RequestSpec[Turns];
            int[] prompt = [.. systems[s % SharedPrefixes], .. Tokens(random, FirstUserTokens)];
            for (var t = 0; t < Turns; t++)
            {
                if (t > 0)
                {
                    prompt = [.. prompt, .. Tokens(random, ReplyTokens + UserTokens)];
                }

                var sent = SharePrefixes ? prompt : Tokens(random, prompt.Length);
                turns[t] = new RequestSpec(sent, OutputTokens, true, CompletionBody.Write(model, sent, OutputTokens, true, extra: null));
            }

            sessions.Add(turns);
        }

        return sessions;
    }

    /// <summary>The shared system prompts of the sessions <see cref="Prepare"/> returns for <paramref name="seed"/>.</summary>
    public int[][] SystemPrompts(int seed) => Systems(new Random(seed));

    private int[][] Systems(Random random) => [.. Enumerable.Range(0, SharedPrefixes).Select(_ => Tokens(random, SystemTokens))];

    private int PromptLength(int turn) => SystemTokens + FirstUserTokens + turn * (ReplyTokens + UserTokens);

    private static int[] Tokens(Random random, int count)
    {
        var tokens = new int[count];
        for (var i = 0; i < count; i++)
        {
            tokens[i] = FirstTokenId + random.Next(TokenIdSpan);
        }

        return tokens;
    }
}
