using System.ComponentModel;
using System.Globalization;

namespace MlcAspire.Contracts;

/// <summary>
/// Lets configuration binding read MLC's spellings (<c>round-robin</c>, <c>disagg</c>, any case, trimmed) besides the
/// member names (<c>RoundRobin</c>) the default enum converter reads.
/// </summary>
internal sealed class RouterModeConverter : EnumConverter
{
    public RouterModeConverter() : base(typeof(RouterMode))
    {
    }

    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string text && text.Trim().Equals(RouterModeNames.RoundRobin, StringComparison.OrdinalIgnoreCase)
            ? RouterMode.RoundRobin
            : base.ConvertFrom(context, culture, value);

    public override object? ConvertTo(ITypeDescriptorContext? context, CultureInfo? culture, object? value, Type destinationType) =>
        value is RouterMode mode && destinationType == typeof(string)
            ? RouterModeNames.Format(mode)
            : base.ConvertTo(context, culture, value, destinationType);
}
