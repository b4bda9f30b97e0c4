namespace MlcAspire.Router.Health;

/// <summary>
/// The passive half of the health checks: every engine call's outcome feeds its engine's circuit breaker. An engine
/// fault (<see cref="EngineFailure.IsEngineFault"/>) counts toward opening it, a success closes it, and an outcome
/// that says nothing about the engine (the request's fault, the client leaving) frees a half-open trial.
/// </summary>
/// <remarks>The active half is <see cref="EngineHealthProbe"/>; availability is <see cref="RouterReadinessCheck"/>.</remarks>
internal static class PassiveHealthPolicy
{
    public static void Record(EngineHealth health, EngineFailure? outcome)
    {
        switch (outcome)
        {
            case null:
                health.RecordSuccess();
                break;
            case { IsEngineFault: true }:
                health.RecordFault(outcome.Message);
                break;
            default:
                health.RecordInconclusive();
                break;
        }
    }
}
