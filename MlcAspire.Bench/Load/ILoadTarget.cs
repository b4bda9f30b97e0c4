namespace MlcAspire.Bench.Load;

/// <summary>Something the bench sends completions to: an engine, a router, nginx, or the engines' own
/// MicroServing handoff driven by the client.</summary>
internal interface ILoadTarget
{
    string Name { get; }

    /// <summary>The proxy process whose CPU and memory are measured (router, nginx master), if any.</summary>
    int? ProxyPid { get; }

    ValueTask<RequestSample> SendAsync(RequestSpec spec, CancellationToken cancellationToken);
}
