namespace MlcAspire.AppHost.Planning;

/// <summary>
/// An engine that already runs, for <see cref="ArgumentPlanner.PlanRouter"/>: its resource name, URL and first NVSHMEM PE.
/// </summary>
internal sealed record RunningEngine(string Name, Uri Url, int PeStart);
