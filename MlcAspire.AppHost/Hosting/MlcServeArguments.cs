using System.Globalization;
using MlcAspire.AppHost.Topology;

namespace MlcAspire.AppHost.Hosting;

/// <summary><c>mlc_llm serve</c>'s arguments for an engine (mlc-protocol.md §1.2 in order), run here or inside its container.</summary>
internal static class MlcServeArguments
{
    /// <summary>MLC's fixed engine overrides (mlc-protocol.md §1.2): <c>spec_draft_length=0</c> because its default is 0, not None.</summary>
    public const string MlcOverrides = "gpu_memory_utilization=0.8;spec_draft_length=0";

    /// <summary>Inside its own container an engine binds every interface.</summary>
    public const string ContainerHost = "0.0.0.0";

    /// <summary>The arguments on this machine: the engine's own host, port, first GPU and model as given.</summary>
    public static IReadOnlyList<string> ForRun(EngineKind kind, MlcEngineSpec spec) =>
        Build(kind, spec, spec.Host, spec.DeviceStart, spec.Model, spec.ModelLib);

    /// <summary>
    /// The arguments inside the engine's container: all interfaces, its GPUs numbered from cuda:0, and the model where
    /// the image keeps it (<see cref="ContainerPaths"/>), so that nothing of the publishing machine is written.
    /// </summary>
    public static IReadOnlyList<string> ForContainer(EngineKind kind, MlcEngineSpec spec, string workingDirectory) =>
        Build(kind, spec, ContainerHost, 0, ContainerPaths.Model(spec.Model),
            spec.ModelLib is { } lib ? ContainerPaths.ModelLib(lib, spec.Model, workingDirectory) : null);

    // --enable-debug once (MLC passes it twice, mlc-protocol.md §5.7 W13).
    private static List<string> Build(EngineKind kind, MlcEngineSpec spec, string bindHost, int device, string model, string? lib)
    {
        // The reference engine has no compiled lib to read its tensor-parallel degree from, so it is told; a real
        // engine reads it from the lib's metadata and gets exactly MLC's command line.
        var overrides = kind == EngineKind.Reference
            ? $"{MlcOverrides};tensor_parallel_shards={spec.Gpus.ToString(CultureInfo.InvariantCulture)}"
            : MlcOverrides;
        List<string> args = [model];
        if (lib is not null)
        {
            args.AddRange(["--model-lib", lib]);
        }

        args.AddRange(
        [
            "--device", $"cuda:{device.ToString(CultureInfo.InvariantCulture)}",
            "--enable-debug",
            "--mode", "server",
            "--speculative-mode", "disable",
            "--prefix-cache-mode", spec.PrefixCache ? "radix" : "disable",
            "--overrides", overrides,
            "--host", bindHost,
            "--port", spec.Port.ToString(CultureInfo.InvariantCulture),
        ]);
        return args;
    }
}
