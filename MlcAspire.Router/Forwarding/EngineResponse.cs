namespace MlcAspire.Router.Forwarding;

/// <summary>An engine call's open response (or its failure) and its span, completed once with the outcome.</summary>
public sealed class EngineResponse(
    EngineState engine, string requestId, HttpResponseMessage? response, EngineFailure? failure, EngineCallTelemetry telemetry)
    : IAsyncDisposable
{
    public EngineState Engine { get; } = engine;

    public string RequestId { get; } = requestId;

    public HttpResponseMessage? Response { get; } = response;

    public EngineFailure? Failure { get; } = failure;

    public EngineCallTelemetry Telemetry { get; } = telemetry;

    /// <summary>Records the call's outcome on its engine's health, its span and metrics; only the first call counts.</summary>
    public void Complete(EngineFailure? outcome, string? successOutcome = null)
    {
        if (Telemetry.Complete(outcome?.Error.ToString() ?? successOutcome ?? "Success", outcome?.Message))
        {
            PassiveHealthPolicy.Record(Engine.Health, outcome);
        }
    }

    public ValueTask DisposeAsync()
    {
        Complete(EngineFailure.Canceled);
        Response?.Dispose();
        Telemetry.Dispose();
        return ValueTask.CompletedTask;
    }
}
