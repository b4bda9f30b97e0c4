namespace MlcAspire.Tests.EndToEnd.Router;

/// <summary>An engine that already runs: its name in its world, its URL and its first NVSHMEM PE.</summary>
internal sealed record RunningEngine(string Name, Uri Url, int PeStart);
