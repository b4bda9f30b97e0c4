using MlcAspire.AppHost.Topology;

namespace MlcAspire.AppHost.Hosting;

/// <summary>
/// An MLC engine (<c>python -m mlc_llm serve</c>) or a reference engine (the CPU drop-in with the same command line):
/// an executable with one <c>http</c> endpoint that a router references for service discovery.
/// </summary>
internal sealed class MlcEngineResource(string name, string command, string workingDirectory, EngineKind kind, MlcEngineSpec spec)
    : ExecutableResource(name, command, workingDirectory), IResourceWithServiceDiscovery
{
    public const string HttpEndpointName = "http";

    public EngineKind Kind { get; } = kind;

    public MlcEngineSpec Spec { get; } = spec;

    public EndpointReference HttpEndpoint => field ??= new(this, HttpEndpointName);
}
