using MlcAspire.AppHost.Topology;

namespace MlcAspire.AppHost.Hosting;

/// <summary>An engine the router routes to, in <c>Router__Engines__&lt;k&gt;</c> order (the order of <c>WithEngine</c> calls).</summary>
internal sealed record RouterEngineAnnotation(string Name, EngineRole Role, int PeStart) : IResourceAnnotation;
