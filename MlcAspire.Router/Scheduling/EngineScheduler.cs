using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;

namespace MlcAspire.Router.Scheduling;

/// <summary>
/// Picks an engine by the routing policy (<see cref="RouteRules"/>: session, cached prefix, least loaded, rotating among
/// ties) and takes a lease on it in the same step; keeps each engine's prefix index.
/// </summary>
/// <remarks>
/// MLC's <c>_pick_endpoint</c> breaks ties toward the lowest index, so sequential traffic always lands on one
/// engine (mlc-protocol.md W1). Here each selection keeps a cursor and scans from it, so equal loads take turns.
/// Pick and increment happen under one lock: two concurrent requests never see the same "least loaded" engine.
/// The prefix indexes are matched before that lock (each has its own), so the lock covers only the scoring.
/// </remarks>
public sealed class EngineScheduler
{
    private readonly Lock _lock = new();
    private readonly int[] _cursors = new int[Enum.GetValues<EngineSelection>().Length];

    private readonly Dictionary<EngineState, int> _indexes;
    private readonly RouterMode _mode;
    private readonly RouteCandidate[] _candidates;
    private readonly SessionAffinity _sessions;
    private readonly ILogger _logger;

    public EngineScheduler(
        IOptions<RouterOptions> options, IOptions<RouterReliabilityOptions> reliability, TimeProvider timeProvider,
        IOptions<RoutingOptions>? routing = null, ILogger<EngineScheduler>? logger = null)
    {
        var health = reliability.Value;
        _mode = options.Value.Mode;
        Routing = routing?.Value ?? new RoutingOptions();
        Engines = [.. options.Value.Engines.Select(e => new EngineState(e.Name, e.Role, e.PeStart,
            new EngineHealth(timeProvider, health.FailureThreshold, health.BreakDuration)))];
        _indexes = Engines.Select((engine, index) => (engine, index)).ToDictionary(x => x.engine, x => x.index);
        _candidates = new RouteCandidate[Engines.Count];
        var blocksPerEngine = (int)Math.Clamp(Routing.PrefixIndexMaxBytes / PrefixIndex.BytesPerBlock / Math.Max(1, Engines.Count), 1, int.MaxValue / 2);
        Prefixes = [.. Engines.Select(_ => new PrefixIndex(blocksPerEngine, Routing.PrefixBlockSize))];
        _sessions = new SessionAffinity(Routing.MaxSessions);
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    public IReadOnlyList<EngineState> Engines { get; }

    /// <summary>What each engine probably holds, by the position of the engine in <see cref="Engines"/>.</summary>
    public IReadOnlyList<PrefixIndex> Prefixes { get; }

    public RoutingOptions Routing { get; }

    /// <summary>
    /// A routing context for the request's prompt ids and session, in the engines' block size. Least-loaded routing
    /// never matches a prefix, so it neither hashes the prompt nor keeps the index.
    /// </summary>
    public RouteContext CreateRoute(CompletionRequest request) =>
        new(request.PromptTokens, request.SessionId, Routing.PrefixBlockSize, hashPrompt: Routing.RoutingPolicy == RoutingPolicy.CacheAware);

    /// <summary>The prefix index of an engine.</summary>
    public PrefixIndex PrefixesOf(EngineState engine) => Prefixes[_indexes[engine]];

    /// <summary>Leases the healthy engine of the selection the routing policy prefers, or null when none qualifies.</summary>
    /// <param name="exclude">An engine that must not be chosen (the decode engine when picking its prefill peer).</param>
    /// <param name="route">The request's prompt and session; without one, the least-loaded engine.</param>
    /// <remarks>A whole-request or decode pick records the whole prompt in the winner's index; a prefill pick records nothing,
    /// as only the strategy knows the window it will compute (<see cref="Remember"/>).</remarks>
    public EngineLease? Acquire(EngineSelection selection, EngineState? exclude = null, RouteContext? route = null)
    {
        route = Prepare(route);
        var recorded = route.Decisions.Count;
        EngineLease? lease;
        lock (_lock)
        {
            lease = Pick(selection, exclude, route) is { } best ? LeaseLocked(best, selection, route) : null;
        }

        Record(route, recorded);
        return lease;
    }

    /// <summary>
    /// Leases a healthy decode engine and a distinct healthy prefill engine in one step, or returns null when no such
    /// pair is in rotation.
    /// </summary>
    /// <remarks>
    /// The least-loaded decode engine comes first. When it is the only prefill-capable engine in rotation (a <c>Both</c>
    /// engine), that engine must prefill instead and another decode engine decodes; picking decode first and giving up
    /// would refuse a request that a valid pair could serve.
    /// </remarks>
    public (EngineLease Decode, EngineLease Prefill)? AcquirePair(RouteContext? route = null)
    {
        route = Prepare(route);
        var recorded = route.Decisions.Count;
        (EngineLease, EngineLease)? pair;
        lock (_lock)
        {
            pair = PickPair(route) is (var decode, var prefill)
                ? (LeaseLocked(decode, EngineSelection.Decode, route), LeaseLocked(prefill, EngineSelection.Prefill, route))
                : null;
        }

        Record(route, recorded);
        return pair;
    }

    /// <summary>The smallest <see cref="EngineState.PrefillBacklogTokens"/> of a prefill engine in rotation, or null when none is.</summary>
    public long? LowestPrefillBacklog(EngineState? exclude)
    {
        lock (_lock)
        {
            long? lowest = null;
            foreach (var engine in Engines)
            {
                if (engine != exclude && engine.CanPrefill && engine.InRotation && (lowest is null || engine.PrefillBacklogTokens < lowest))
                {
                    lowest = engine.PrefillBacklogTokens;
                }
            }

            return lowest;
        }
    }

    /// <summary>The prompt tokens the index says <paramref name="engine"/> holds (0 under least-loaded, which matches nothing).</summary>
    public int PredictedMatch(EngineState engine, RouteContext route) => route.MatchedTokens(_indexes[engine]);

    /// <summary>Records that <paramref name="engine"/> now holds the prompt's first <paramref name="tokens"/> tokens.</summary>
    public void Remember(EngineState engine, RouteContext route, int tokens) =>
        PrefixesOf(engine).Insert(route.Chain, tokens / route.BlockSize);

    /// <summary>
    /// Corrects an engine's index with the prefix it reported holding (prep_recv's <c>prefix_matched_length</c>). Less
    /// than predicted means the engine evicted those blocks, and its cache evicts least recently used first, so every
    /// block the index saw before them is gone too. The request then computes and holds the whole prompt again.
    /// </summary>
    public void Correct(EngineState engine, RouteContext route, int reportedTokens, int windowTokens)
    {
        var index = PrefixesOf(engine);
        var predicted = Math.Min(route.MatchedTokens(_indexes[engine]), windowTokens);
        var reportedBlocks = reportedTokens / route.BlockSize;
        if (reportedTokens < predicted && reportedBlocks < route.Chain.Length)
        {
            index.EvictThrough(route.Chain[reportedBlocks]);
        }

        index.RecordHit(reportedTokens - predicted, 0);
        index.Insert(route.Chain, route.Chain.Length);
    }

    /// <summary>
    /// Why no request of the configured mode can be served now (a role the mode needs has no engine in rotation), or
    /// null when one can. Admission answers 503 <c>no_healthy_engine</c> with this message, and so do the built-in
    /// strategies when the engines left rotation between admission and their pick.
    /// </summary>
    public string? Unavailability
    {
        get
        {
            lock (_lock)
            {
                // Admission asks this for every request: the usual answer, "servable", costs one pick and no allocation;
                // only a refusal builds its message.
                if (_mode == RouterMode.RoundRobin)
                {
                    return Pick(EngineSelection.Any, exclude: null, RouteContext.None) is null ? RoleUnavailability("", _ => true) : null;
                }

                if (PickPair(RouteContext.None) is not null)
                {
                    return null;
                }

                return RoleUnavailability("decode ", e => e.CanDecode)
                    ?? RoleUnavailability("prefill ", e => e.CanPrefill)
                    ?? "Only one engine is in rotation to prefill and decode, and disaggregation needs two distinct engines; try again later.";
            }
        }
    }

    private string? RoleUnavailability(string role, Func<EngineState, bool> qualifies)
    {
        var configured = Engines.Where(qualifies).ToList();
        if (configured.Count == 0)
        {
            return $"No {role}engine is configured.";
        }

        return configured.Any(e => e.InRotation)
            ? null
            : $"No {role}engine is healthy ({string.Join(", ", configured.Select(e => e.Name))} out of rotation); try again later.";
    }

    private (Choice Decode, Choice Prefill)? PickPair(RouteContext route)
    {
        var decode = Pick(EngineSelection.Decode, exclude: null, route);
        var prefill = decode is null ? null : Pick(EngineSelection.Prefill, exclude: decode.Value.Winner, route);
        if (decode is not null && prefill is null)
        {
            prefill = Pick(EngineSelection.Prefill, exclude: null, route);
            decode = prefill is null ? null : Pick(EngineSelection.Decode, exclude: prefill.Value.Winner, route);
        }

        return decode is null || prefill is null ? null : (decode.Value, prefill.Value);
    }

    /// <summary>The routing decision among the healthy engines of the selection, scanning from its cursor so equal loads take turns.</summary>
    private Choice? Pick(EngineSelection selection, EngineState? exclude, RouteContext route)
    {
        var count = Engines.Count;
        var start = _cursors[(int)selection];
        var found = 0;
        for (var i = 0; i < count; i++)
        {
            var index = (start + i) % count;
            var engine = Engines[index];
            if (engine != exclude && Qualifies(engine, selection) && engine.InRotation)
            {
                _candidates[found++] = new RouteCandidate(engine, engine.ActiveRequests, route.MatchedTokens(index), engine.Health.IsSuspect);
            }
        }

        if (found == 0)
        {
            return null;
        }

        var candidates = _candidates.AsSpan(0, found);
        var (winner, reason) = RouteRules.Choose(candidates, route.PromptTokens, _sessions.Find(route.SessionId, selection), Routing);

        // Only a request's choice keeps (and so copies) the candidates; admission's check allocates nothing.
        return new Choice(selection, winner.Engine, reason, ReferenceEquals(route, RouteContext.None) ? [] : candidates.ToArray());
    }

    private EngineLease LeaseLocked(Choice choice, EngineSelection selection, RouteContext route)
    {
        var engine = choice.Winner;
        _cursors[(int)selection] = (_indexes[engine] + 1) % Engines.Count;
        engine.Health.OnDispatched(wasIdle: engine.ActiveRequests == 0);
        if (!ReferenceEquals(route, RouteContext.None))
        {
            route.Add(new RouteDecision(selection, engine, choice.Reason, route.PromptTokens, choice.Candidates));
        }

        return new EngineLease(engine);
    }

    /// <summary>Matches the prompt against every index (outside the lock); a least-loaded policy only needs the session.</summary>
    private RouteContext Prepare(RouteContext? route)
    {
        if (route is null)
        {
            return RouteContext.None;
        }

        if (Routing.RoutingPolicy == RoutingPolicy.CacheAware)
        {
            route.Match(Prefixes);
        }

        return route;
    }

    /// <summary>After the lock, for the decisions from <paramref name="first"/> on: the winners' indexes, hit counts, sessions, span events and the debug log.</summary>
    private void Record(RouteContext route, int first)
    {
        for (var d = first; d < route.Decisions.Count; d++)
        {
            var decision = route.Decisions[d];
            var winner = decision.WinnerCandidate;
            var index = PrefixesOf(decision.Winner);
            index.RecordHit(winner.MatchedTokens, route.PromptTokens);
            if (decision.Selection != EngineSelection.Prefill)
            {
                index.Insert(route.Chain, route.Chain.Length);
            }

            _sessions.Remember(route.SessionId, decision.Selection, decision.Winner);
            RouterTelemetry.RecordRoute(Activity.Current, decision);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                RouterLog.RouteChosen(_logger, decision.Selection, decision.Winner.Name, decision.Reason, winner.MatchedTokens, route.PromptTokens, decision.DescribeCandidates());
            }
        }
    }

    private static bool Qualifies(EngineState engine, EngineSelection selection) => selection switch
    {
        EngineSelection.Prefill => engine.CanPrefill,
        EngineSelection.Decode => engine.CanDecode,
        _ => true,
    };

    /// <summary>A pick not yet leased.</summary>
    private readonly record struct Choice(EngineSelection Selection, EngineState Winner, RouteReason Reason, RouteCandidate[] Candidates);
}
