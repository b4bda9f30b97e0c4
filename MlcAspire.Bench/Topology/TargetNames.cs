namespace MlcAspire.Bench.Topology;

/// <summary>The targets a preset can measure side by side.</summary>
internal static class TargetNames
{
    /// <summary>The engines' own <c>/v1/completions</c>, taken in turn: the baseline that router-added latency is measured against.</summary>
    public const string Direct = "direct";

    /// <summary>The client drives the MicroServing handoff over engines 0 (prefill) and 1 (decode): the baseline of disagg TTFT.</summary>
    public const string EnginePd = "engine-pd";

    public const string RouterRoundRobin = "router-rr";
    public const string RouterDisagg = "router-disagg";
    public const string RouterDisaggBalanced = "router-disagg-0.1";

    /// <summary>nginx (least_conn, keep-alive upstreams) in front of the same engines.</summary>
    public const string Nginx = "nginx";
}
