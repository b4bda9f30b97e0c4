using MlcAspire.AppHost.Topology;

namespace MlcAspire.AppHost.Hosting;

/// <summary>
/// One engine's place in the deployment: what it serves, what the router uses it for, its GPUs and where it listens.
/// Its serve arguments (<see cref="MlcServeArguments"/>) and its dashboard properties are computed from this.
/// </summary>
internal sealed record MlcEngineSpec
{
    /// <summary>The model argument, also the engine's <c>/v1/models</c> id "as given" (mlc-protocol.md §1.3).</summary>
    public required string Model { get; init; }

    /// <summary><c>--model-lib</c>; null lets the engine find the lib itself.</summary>
    public string? ModelLib { get; init; }

    public EngineRole Role { get; init; } = EngineRole.Both;

    /// <summary>The first CUDA ordinal it owns (<c>--device cuda:&lt;start&gt;</c>), the running sum of the GPUs before it.</summary>
    public int DeviceStart { get; init; }

    public int Gpus { get; init; } = 1;

    /// <summary><c>--prefix-cache-mode radix</c> rather than <c>disable</c>.</summary>
    public bool PrefixCache { get; init; }

    /// <summary>The address it binds (<c>--host</c>).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The port it listens on (<c>--port</c>), also its <c>http</c> endpoint's port.</summary>
    public required int Port { get; init; }

    /// <summary>Its first NVSHMEM PE: PEs are numbered like the GPUs (mlc-protocol.md §1.4).</summary>
    public int PeStart => DeviceStart;

    /// <summary>The CUDA ordinals it owns.</summary>
    public IReadOnlyList<int> Devices => [.. Enumerable.Range(DeviceStart, Gpus)];
}
