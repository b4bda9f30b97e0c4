namespace MlcAspire.Router.Forwarding;

/// <summary>The failure a completion ended with, attached to the HttpContext for middleware and metrics (as YARP's IForwarderErrorFeature).</summary>
public interface ICompletionErrorFeature
{
    EngineFailure Failure { get; }
}

internal sealed record CompletionErrorFeature(EngineFailure Failure) : ICompletionErrorFeature;
