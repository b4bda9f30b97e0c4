namespace MlcAspire.AppHost.Running;

/// <summary>A resource could not start or become ready within its phase; the message names it and quotes its last output.</summary>
internal sealed class ResourceStartException(string message) : Exception(message);
