namespace MlcAspire.AppHost.Running;

/// <summary>What the runner knows about one resource at one moment.</summary>
/// <param name="Name">The resource name.</param>
/// <param name="State">Its state.</param>
/// <param name="ProcessId">Its process id once started.</param>
/// <param name="Url">Its <c>http</c> endpoint.</param>
/// <param name="Devices">Its GPUs as CUDA device names; empty for the router.</param>
/// <param name="ExitCode">The exit code once the process has ended.</param>
internal sealed record ResourceSnapshot(
    string Name,
    ResourceState State,
    int? ProcessId,
    Uri Url,
    IReadOnlyList<string> Devices,
    int? ExitCode);
