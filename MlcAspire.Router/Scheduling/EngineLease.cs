namespace MlcAspire.Router.Scheduling;

/// <summary>One unit of load on an engine, taken at dispatch and given back exactly once on every way out.</summary>
public sealed class EngineLease : IDisposable
{
    private int _released;

    internal EngineLease(EngineState engine)
    {
        Engine = engine;
        engine.Acquire();
        RouterMetrics.ActiveRequests.Add(1, Tags(engine));
    }

    public EngineState Engine { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            Engine.Release();
            RouterMetrics.ActiveRequests.Add(-1, Tags(Engine));
        }
    }

    private static System.Diagnostics.TagList Tags(EngineState engine) => new()
    {
        { RouterTelemetry.EngineTag, engine.Name },
        { RouterTelemetry.RoleTag, engine.Role.ToString().ToLowerInvariant() },
    };
}
