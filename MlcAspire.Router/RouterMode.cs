using System.ComponentModel;
using System.Globalization;

namespace MlcAspire.Router;

/// <summary>How the router spreads completions over its engines (MLC's <c>--router-mode</c>).</summary>
[TypeConverter(typeof(RouterModeConverter))]
public enum RouterMode
{
    /// <summary>Each request goes whole to one engine's <c>/v1/completions</c>, rotating among the least loaded.</summary>
    RoundRobin,

    /// <summary>Prefill/decode disaggregation over MicroServing: prep_recv on D, remote_send on P, start_generate on D.</summary>
    Disagg,
}

/// <summary>Reads MLC's spellings (<c>round-robin</c>, <c>disagg</c>) as configuration binding values.</summary>
internal sealed class RouterModeConverter : EnumConverter
{
    public RouterModeConverter() : base(typeof(RouterMode))
    {
    }

    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string text && text.Trim().Equals("round-robin", StringComparison.OrdinalIgnoreCase)
            ? RouterMode.RoundRobin
            : base.ConvertFrom(context, culture, value);

    public override object? ConvertTo(ITypeDescriptorContext? context, CultureInfo? culture, object? value, Type destinationType) =>
        value is RouterMode mode && destinationType == typeof(string)
            ? mode == RouterMode.RoundRobin ? "round-robin" : "disagg"
            : base.ConvertTo(context, culture, value, destinationType);
}
