namespace MlcAspire.Router.Scheduling;

/// <summary>
/// What routing knows about one attempt: the prompt's block chain, its session, the matches per engine, and the
/// decisions made for it (for the span, the log and the <c>X-Mlc-Route</c> header).
/// </summary>
/// <remarks>
/// The prompt comes from <see cref="CompletionRequest.PromptTokens"/>, whatever produced it: ids the client sent, the
/// router's tokenizer on a text prompt, or a chat route that renders the whole conversation and tokenizes it. So a
/// chat request is matched on every message, not on the first one.
/// </remarks>
public sealed class RouteContext
{
    private readonly List<RouteDecision> _decisions = [];
    private int[]? _matchedBlocks;

    /// <param name="hashPrompt">Build the block chain; least-loaded routing never matches a prefix, so it skips the hashing.</param>
    public RouteContext(IReadOnlyList<int>? promptTokens, string? sessionId, int blockSize, bool hashPrompt = true)
    {
        PromptTokens = promptTokens?.Count ?? 0;
        Chain = promptTokens is null || !hashPrompt ? [] : PrefixHashes.Compute(promptTokens, blockSize);
        SessionId = string.IsNullOrEmpty(sessionId) ? null : sessionId;
        BlockSize = blockSize;
    }

    /// <summary>A context for a request routing knows nothing about (no prompt ids, no session): pure least-loaded.</summary>
    public static RouteContext None { get; } = new(null, null, 1);

    public int PromptTokens { get; }

    public ulong[] Chain { get; }

    public string? SessionId { get; }

    public int BlockSize { get; }

    public IReadOnlyList<RouteDecision> Decisions => _decisions;

    /// <summary>The disaggregation split chosen for the attempt (<c>local</c>, or <c>remote</c> with its window end), when there was one.</summary>
    public string? Split { get; set; }

    /// <summary>Matched tokens per engine index, computed once per attempt, before the scheduler's lock.</summary>
    internal int MatchedTokens(int engineIndex) => _matchedBlocks is { } blocks ? blocks[engineIndex] * BlockSize : 0;

    internal void Match(IReadOnlyList<PrefixIndex> indexes)
    {
        if (_matchedBlocks is not null || Chain.Length == 0)
        {
            return;
        }

        var blocks = new int[indexes.Count];
        for (var i = 0; i < blocks.Length; i++)
        {
            blocks[i] = indexes[i].Match(Chain);
        }

        _matchedBlocks = blocks;
    }

    internal void Add(RouteDecision decision)
    {
        lock (_decisions)
        {
            _decisions.Add(decision);
        }
    }

    /// <summary><c>decode=engine-1;reason=cache;matched=2048;prefill=engine-0;…;split=remote end=2047</c></summary>
    public string Describe()
    {
        lock (_decisions)
        {
            var parts = _decisions.Select(d => d.Selection switch
            {
                EngineSelection.Any => $"engine={d.Winner.Name};reason={Kebab(d.Reason)};matched={d.WinnerCandidate.MatchedTokens}",
                var selection => $"{selection.ToString().ToLowerInvariant()}={d.Winner.Name};{selection.ToString().ToLowerInvariant()}_reason={Kebab(d.Reason)};{selection.ToString().ToLowerInvariant()}_matched={d.WinnerCandidate.MatchedTokens}",
            });
            return string.Join(';', Split is null ? parts : parts.Append($"split={Split}"));
        }
    }

    private static string Kebab(RouteReason reason) => reason == RouteReason.LeastLoaded ? "least-loaded" : reason.ToString().ToLowerInvariant();
}
