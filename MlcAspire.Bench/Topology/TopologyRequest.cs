using MlcAspire.Contracts;

namespace MlcAspire.Bench.Topology;

/// <summary>What a preset needs running: engines of one model and routers in front of all of them.</summary>
/// <param name="PrefixCache">The engines keep a radix prefix cache (<c>--enable-prefix-cache</c>).</param>
internal sealed record TopologyRequest(string Model, int EngineCount, IReadOnlyList<RouterSpec> Routers, EngineSettings Engines, bool PrefixCache = false);

/// <summary>A router process over the engines. Disagg uses engine 0 as prefill and engine 1 as decode (1P1D);
/// round-robin uses every engine for both.</summary>
/// <param name="Settings">Router settings beyond the defaults, as configuration keys (<c>Router:MaxInFlightPerEngine</c>).</param>
internal sealed record RouterSpec(string Name, string Mode, double PdBalanceFactor = 0, IReadOnlyDictionary<string, string>? Settings = null)
{
    public const string RoundRobin = RouterModeNames.RoundRobin;
    public const string Disagg = RouterModeNames.Disagg;
}
