using System.ComponentModel.DataAnnotations;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Kestrel's timeouts for slow clients, the same in every service (section <c>ServerLimits</c>, e.g.
/// <c>ServerLimits__RequestHeadersTimeout</c>): a client that sends its headers or body too slowly, or holds an idle
/// connection, is cut off instead of holding a connection, and in the router an admission slot, for as long as it likes.
/// </summary>
public sealed class ServerLimitsOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "ServerLimits";

    /// <summary>Longest time to receive a request's headers (Kestrel's default is 30 s).</summary>
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Longest idle time of a kept-alive connection. Kestrel's default, 130 s, is kept on purpose: it must outlast the
    /// HTTP client's pooled-connection idle timeout (60 s), or the engines would close connections the router is
    /// about to reuse.
    /// </summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(130);

    /// <summary>Slowest average rate, in bytes per second, at which a request body may arrive (Kestrel's default is 240).</summary>
    [Range(1, int.MaxValue)]
    public int MinRequestBodyBytesPerSecond { get; set; } = 4096;

    /// <summary>How long a body may arrive slower than <see cref="MinRequestBodyBytesPerSecond"/> before the rate counts.</summary>
    public TimeSpan MinRequestBodyGracePeriod { get; set; } = TimeSpan.FromSeconds(5);
}
