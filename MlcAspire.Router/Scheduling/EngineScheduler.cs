namespace MlcAspire.Router.Scheduling;

/// <summary>Picks the least-loaded engine, rotating among ties, and takes a lease on it in the same step.</summary>
/// <remarks>
/// MLC's <c>_pick_endpoint</c> breaks ties toward the lowest index, so sequential traffic always lands on one
/// engine (spec §5.7 W1). Here each selection keeps a cursor and scans from it, so equal loads take turns.
/// Pick and increment happen under one lock: two concurrent requests never see the same "least loaded" engine.
/// </remarks>
public sealed class EngineScheduler
{
    private readonly Lock _lock = new();
    private readonly int[] _cursors = new int[Enum.GetValues<EngineSelection>().Length];

    public EngineScheduler(IOptions<RouterOptions> options, IOptions<ReliabilityOptions> reliability, TimeProvider timeProvider)
    {
        var health = reliability.Value;
        Engines = [.. options.Value.Engines.Select(e => new EngineEndpoint(e.Name, e.Role, e.PeStart,
            new EngineHealth(timeProvider, health.FailureThreshold, health.BreakDuration)))];
    }

    public IReadOnlyList<EngineEndpoint> Engines { get; }

    /// <summary>Leases the least-loaded healthy engine of the selection, or null when none qualifies.</summary>
    /// <param name="exclude">An engine that must not be chosen (the decode engine when picking its prefill peer).</param>
    public EngineLease? Acquire(EngineSelection selection, EngineEndpoint? exclude = null)
    {
        lock (_lock)
        {
            var count = Engines.Count;
            var start = _cursors[(int)selection];
            EngineEndpoint? best = null;
            var bestIndex = -1;
            for (var i = 0; i < count; i++)
            {
                var index = (start + i) % count;
                var engine = Engines[index];
                if (engine == exclude || !Qualifies(engine, selection) || !engine.Health.IsAvailable)
                {
                    continue;
                }

                if (best is null || IsBetter(engine, best))
                {
                    best = engine;
                    bestIndex = index;
                }
            }

            if (best is null)
            {
                return null;
            }

            _cursors[(int)selection] = (bestIndex + 1) % count;
            best.Health.OnDispatched(wasIdle: best.ActiveRequests == 0);
            return new EngineLease(best);
        }
    }

    /// <summary>Whether any engine that can generate (decode, or both) is in rotation: admission answers 503 when none is.</summary>
    public bool AnyGeneratingEngineAvailable => Engines.Any(e => e.CanDecode && e.Health.IsAvailable);

    /// <summary>An engine whose last call failed comes after every engine whose did not; then the least loaded wins.</summary>
    private static bool IsBetter(EngineEndpoint engine, EngineEndpoint best) =>
        engine.Health.IsSuspect != best.Health.IsSuspect
            ? !engine.Health.IsSuspect
            : engine.ActiveRequests < best.ActiveRequests;

    private static bool Qualifies(EngineEndpoint engine, EngineSelection selection) => selection switch
    {
        EngineSelection.Prefill => engine.CanPrefill,
        EngineSelection.Decode => engine.CanDecode,
        _ => true,
    };
}
