using MlcAspire.Contracts;

namespace MlcAspire.AppHost.Topology;

/// <summary>
/// The deployment to run: MLC's <c>mlc_llm router</c> options (mlc-protocol.md §1.1) plus engine roles, engine kind,
/// the Python command and an OTLP endpoint. Engine <c>i</c> is position <c>i</c> of every per-engine list.
/// </summary>
internal sealed record TopologyOptions
{
    public const string DefaultModel = "models/reference-tiny";

    public string Model { get; init; } = DefaultModel;

    public string? ModelLib { get; init; }

    public RouterMode RouterMode { get; init; } = RouterMode.Disagg;

    public string RouterHost { get; init; } = "127.0.0.1";

    public int RouterPort { get; init; } = 8000;

    public IReadOnlyList<string> EndpointHosts { get; init; } = ["127.0.0.1", "127.0.0.1"];

    public IReadOnlyList<int> EndpointPorts { get; init; } = [8080, 8081];

    public IReadOnlyList<int> EndpointNumGpus { get; init; } = [1, 1];

    /// <summary>Explicit roles; when null, <see cref="TopologyDefaults.Roles"/> applies MLC's layout.</summary>
    public IReadOnlyList<EngineRole>? EndpointRoles { get; init; }

    public bool EnablePrefixCache { get; init; }

    /// <summary>
    /// <c>--attach-engines</c>: the engines already run at <see cref="EndpointHosts"/>/<see cref="EndpointPorts"/> (started
    /// by someone else, in one NVSHMEM world of their own); the router is referenced to them by URL and none is started.
    /// </summary>
    public bool AttachEngines { get; init; }

    public double PdBalanceFactor { get; init; }

    /// <summary><c>--pd-balance-factor adaptive</c>: the router chooses the split per request (docs/router.md).</summary>
    public bool PdBalanceAdaptive { get; init; }

    /// <summary><c>--routing-policy</c>: <c>least-loaded</c> or <c>cache-aware</c>; null picks by the prefix cache (<see cref="EffectiveRoutingPolicy"/>).</summary>
    public string? RoutingPolicy { get; init; }

    /// <summary>Cache-aware routing pays only when the engines keep a prefix cache; without one there is nothing to match.</summary>
    public string EffectiveRoutingPolicy => RoutingPolicy ?? (EnablePrefixCache ? CacheAwarePolicy : LeastLoadedPolicy);

    public const string LeastLoadedPolicy = "least-loaded";

    public const string CacheAwarePolicy = "cache-aware";

    public const string AdaptiveBalance = "adaptive";

    public EngineKind EngineKind { get; init; } = EngineKind.Reference;

    public string PythonCommand { get; init; } = "python3";

    /// <summary>Given to every process as <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> when set.</summary>
    public string? OtlpEndpoint { get; init; }

    /// <summary>
    /// The flag whose list fixed the engine count (the first of <c>--endpoint-ports</c>, <c>--endpoint-hosts</c>,
    /// <c>--endpoint-num-gpus</c>, <c>--endpoint-roles</c> given), so that a message about the count names it.
    /// </summary>
    public string EngineCountFlag { get; init; } = "--endpoint-ports";

    public int EngineCount => EndpointPorts.Count;
}
