namespace MlcAspire.AppHost.Running;

/// <summary>One state change of one resource (or of the NVSHMEM helper), in the order the runner saw them.</summary>
/// <param name="Name">The resource name.</param>
/// <param name="State">The state it entered.</param>
internal sealed record ResourceStateChange(string Name, ResourceState State);
