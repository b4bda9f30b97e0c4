namespace MlcAspire.AppHost.Topology;

/// <summary>The options read, or the message (naming the flag) that explains why they could not be.</summary>
internal sealed record TopologyReadResult(AppHostOptions? Options, string? Error);
