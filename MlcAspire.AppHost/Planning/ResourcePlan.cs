namespace MlcAspire.AppHost.Planning;

/// <summary>One process to run: how to start it, where it listens and when it counts as ready.</summary>
/// <param name="Name">The stable kebab-case name, also its service-discovery host name.</param>
/// <param name="Command">The executable (<c>dotnet</c>, <c>python3</c>).</param>
/// <param name="Args">Its arguments, in order.</param>
/// <param name="Environment">Added to the inherited environment, in the form Aspire injects.</param>
/// <param name="Endpoint">Its <c>http</c> endpoint.</param>
/// <param name="HealthPath">Ready when the process is alive and a GET of this path answers 200.</param>
/// <param name="WaitsFor">Resources that must be ready before this one starts.</param>
/// <param name="StopGracePeriod">How long it may take to stop after SIGTERM before its process tree is killed.</param>
/// <param name="Engine">Engine-only details; null for the router.</param>
internal sealed record ResourcePlan(
    string Name,
    string Command,
    IReadOnlyList<string> Args,
    IReadOnlyDictionary<string, string> Environment,
    EndpointPlan Endpoint,
    string HealthPath,
    IReadOnlyList<string> WaitsFor,
    TimeSpan StopGracePeriod,
    EnginePlan? Engine)
{
    /// <summary>This resource with <paramref name="extra"/> added to its environment, replacing what it already sets.</summary>
    public ResourcePlan WithEnvironment(IReadOnlyDictionary<string, string> extra)
    {
        if (extra.Count == 0)
        {
            return this;
        }

        var merged = new Dictionary<string, string>(Environment, StringComparer.Ordinal);
        foreach (var (key, value) in extra)
        {
            merged[key] = value;
        }

        return this with { Environment = merged };
    }
}
