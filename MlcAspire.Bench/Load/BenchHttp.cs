using System.Net;

namespace MlcAspire.Bench.Load;

/// <summary>The one pooled HTTP client of the load generator.</summary>
internal static class BenchHttp
{
    /// <summary>A request that takes longer than this is counted as <see cref="RequestOutcome.Timeout"/>.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromMinutes(5);

    public static HttpClient Create(int maxConnectionsPerServer) =>
        new(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnectionsPerServer,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(30),
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
            UseCookies = false,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
            DefaultRequestVersion = HttpVersion.Version11,
        };
}
