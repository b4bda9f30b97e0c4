using System.ComponentModel;

namespace MlcAspire.Contracts;

/// <summary>How the router spreads completions over its engines (MLC's <c>--router-mode</c>, the router's <c>Router__Mode</c>).</summary>
/// <remarks>Configured as <see cref="RouterModeNames.RoundRobin"/> or <see cref="RouterModeNames.Disagg"/>; the member names bind too.</remarks>
[TypeConverter(typeof(RouterModeConverter))]
public enum RouterMode
{
    /// <summary>Each request goes whole to one engine's <c>/v1/completions</c>, rotating among the least loaded.</summary>
    RoundRobin,

    /// <summary>Prefill/decode disaggregation over MicroServing: prep_recv on D, remote_send on P, start_generate on D (MLC's default).</summary>
    Disagg,
}
