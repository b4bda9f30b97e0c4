using MlcAspire.AppHost.Topology;
using MlcAspire.Contracts;

namespace MlcAspire.AppHost.Planning;

/// <summary>What makes a resource an engine: its role, its GPUs, its place in the NVSHMEM world and its serve arguments.</summary>
/// <param name="Index">Its position in the <c>--endpoint-*</c> lists.</param>
/// <param name="Role">What the router may use it for.</param>
/// <param name="Devices">The CUDA ordinals it owns: <c>start … start + gpus - 1</c> (mlc-protocol.md §1.4).</param>
/// <param name="Nvshmem">Its NVSHMEM init config without the uid; null in round-robin mode.</param>
/// <param name="ContainerServeArgs">The <c>mlc_llm serve</c> arguments inside its own container: all interfaces, its GPUs from cuda:0.</param>
internal sealed record EnginePlan(
    int Index,
    EngineRole Role,
    IReadOnlyList<int> Devices,
    NvshmemInit? Nvshmem,
    IReadOnlyList<string> ContainerServeArgs)
{
    public int PeStart => Devices[0];
}
