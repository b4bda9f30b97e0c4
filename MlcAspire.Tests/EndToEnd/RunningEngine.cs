namespace MlcAspire.Tests.EndToEnd;

/// <summary>An engine that already runs, for <see cref="TestingApp.CreateRouter"/>: its resource name, URL and first NVSHMEM PE.</summary>
internal sealed record RunningEngine(string Name, Uri Url, int PeStart);
