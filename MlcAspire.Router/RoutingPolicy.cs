using System.ComponentModel;
using System.Globalization;

namespace MlcAspire.Router;

/// <summary>How the router chooses among the engines that may serve a request (<c>--routing-policy</c>).</summary>
[TypeConverter(typeof(RoutingPolicyConverter))]
public enum RoutingPolicy
{
    /// <summary>The engine with the fewest requests in flight, rotating among ties.</summary>
    LeastLoaded,

    /// <summary>The engine that probably holds the longest prefix of the prompt, unless its load is too far above the least loaded.</summary>
    CacheAware,
}

/// <summary>Reads the flag's spellings (<c>least-loaded</c>, <c>cache-aware</c>) as configuration binding values.</summary>
internal sealed class RoutingPolicyConverter : EnumConverter
{
    public RoutingPolicyConverter() : base(typeof(RoutingPolicy))
    {
    }

    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string text ? base.ConvertFrom(context, culture, text.Replace("-", "", StringComparison.Ordinal)) : base.ConvertFrom(context, culture, value);

    public override object? ConvertTo(ITypeDescriptorContext? context, CultureInfo? culture, object? value, Type destinationType) =>
        value is RoutingPolicy policy && destinationType == typeof(string)
            ? policy == RoutingPolicy.CacheAware ? "cache-aware" : "least-loaded"
            : base.ConvertTo(context, culture, value, destinationType);
}
