using MlcAspire.AppHost.Topology;

namespace MlcAspire.AppHost;

/// <summary>Everything the AppHost was asked to do: the topology, and whether to run it or publish it.</summary>
internal sealed record AppHostOptions
{
    public const string ManifestPublisher = "manifest";

    public TopologyOptions Topology { get; init; } = new();

    /// <summary><c>--publisher</c> (<c>manifest</c> is the one <c>azd</c> asks for); null means run.</summary>
    public string? Publisher { get; init; }

    /// <summary><c>--output-path</c>: where the manifest goes.</summary>
    public string? OutputPath { get; init; }

    /// <summary>The deadline of each startup phase (NVSHMEM uid, engines ready, router ready).</summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromMinutes(5);
}
