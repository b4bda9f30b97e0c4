namespace MlcAspire.AppHost.Topology;

/// <summary>How the router schedules requests (MLC's <c>--router-mode</c>).</summary>
internal enum RouterMode
{
    /// <summary>Prefill/decode disaggregation over the MicroServing API (MLC's default).</summary>
    Disagg,

    /// <summary>Each request goes whole to one engine's <c>/v1/completions</c>.</summary>
    RoundRobin,
}
