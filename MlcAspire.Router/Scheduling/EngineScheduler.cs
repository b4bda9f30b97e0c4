namespace MlcAspire.Router.Scheduling;

/// <summary>Picks the least-loaded engine, rotating among ties, and takes a lease on it in the same step.</summary>
/// <remarks>
/// MLC's <c>_pick_endpoint</c> breaks ties toward the lowest index, so sequential traffic always lands on one
/// engine (mlc-protocol.md W1). Here each selection keeps a cursor and scans from it, so equal loads take turns.
/// Pick and increment happen under one lock: two concurrent requests never see the same "least loaded" engine.
/// </remarks>
public sealed class EngineScheduler
{
    private readonly Lock _lock = new();
    private readonly int[] _cursors = new int[Enum.GetValues<EngineSelection>().Length];

    private readonly Dictionary<EngineState, int> _indexes;
    private readonly RouterMode _mode;

    public EngineScheduler(IOptions<RouterOptions> options, IOptions<RouterReliabilityOptions> reliability, TimeProvider timeProvider)
    {
        var health = reliability.Value;
        _mode = options.Value.Mode;
        Engines = [.. options.Value.Engines.Select(e => new EngineState(e.Name, e.Role, e.PeStart,
            new EngineHealth(timeProvider, health.FailureThreshold, health.BreakDuration)))];
        _indexes = Engines.Select((engine, index) => (engine, index)).ToDictionary(x => x.engine, x => x.index);
    }

    public IReadOnlyList<EngineState> Engines { get; }

    /// <summary>Leases the least-loaded healthy engine of the selection, or null when none qualifies.</summary>
    /// <param name="exclude">An engine that must not be chosen (the decode engine when picking its prefill peer).</param>
    public EngineLease? Acquire(EngineSelection selection, EngineState? exclude = null)
    {
        lock (_lock)
        {
            return Pick(selection, exclude) is { } best ? LeaseLocked(best, selection) : null;
        }
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
    public (EngineLease Decode, EngineLease Prefill)? AcquirePair()
    {
        lock (_lock)
        {
            return PickPair() is (var decode, var prefill)
                ? (LeaseLocked(decode, EngineSelection.Decode), LeaseLocked(prefill, EngineSelection.Prefill))
                : null;
        }
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
                    return Pick(EngineSelection.Any, exclude: null) is null ? RoleUnavailability("", _ => true) : null;
                }

                if (PickPair() is not null)
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

        return configured.Any(e => e.Health.IsAvailable)
            ? null
            : $"No {role}engine is healthy ({string.Join(", ", configured.Select(e => e.Name))} out of rotation); try again later.";
    }

    private (EngineState Decode, EngineState Prefill)? PickPair()
    {
        var decode = Pick(EngineSelection.Decode, exclude: null);
        var prefill = decode is null ? null : Pick(EngineSelection.Prefill, exclude: decode);
        if (decode is not null && prefill is null)
        {
            prefill = Pick(EngineSelection.Prefill, exclude: null);
            decode = prefill is null ? null : Pick(EngineSelection.Decode, exclude: prefill);
        }

        return decode is null || prefill is null ? null : (decode, prefill);
    }

    /// <summary>The best healthy engine of the selection, scanning from its cursor so equal loads take turns.</summary>
    private EngineState? Pick(EngineSelection selection, EngineState? exclude)
    {
        var count = Engines.Count;
        var start = _cursors[(int)selection];
        EngineState? best = null;
        for (var i = 0; i < count; i++)
        {
            var engine = Engines[(start + i) % count];
            if (engine == exclude || !Qualifies(engine, selection) || !engine.Health.IsAvailable)
            {
                continue;
            }

            if (best is null || IsBetter(engine, best))
            {
                best = engine;
            }
        }

        return best;
    }

    private EngineLease LeaseLocked(EngineState engine, EngineSelection selection)
    {
        _cursors[(int)selection] = (_indexes[engine] + 1) % Engines.Count;
        engine.Health.OnDispatched(wasIdle: engine.ActiveRequests == 0);
        return new EngineLease(engine);
    }

    /// <summary>An engine whose last call failed comes after every engine whose did not; then the least loaded wins.</summary>
    private static bool IsBetter(EngineState engine, EngineState best) =>
        engine.Health.IsSuspect != best.Health.IsSuspect
            ? !engine.Health.IsSuspect
            : engine.ActiveRequests < best.ActiveRequests;

    private static bool Qualifies(EngineState engine, EngineSelection selection) => selection switch
    {
        EngineSelection.Prefill => engine.CanPrefill,
        EngineSelection.Decode => engine.CanDecode,
        _ => true,
    };
}
