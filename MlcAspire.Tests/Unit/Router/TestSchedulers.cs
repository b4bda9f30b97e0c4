using Microsoft.Extensions.Options;
using MlcAspire.Contracts;
using MlcAspire.Router;
using MlcAspire.Router.Scheduling;

namespace MlcAspire.Tests.Unit.Router;

/// <summary>Schedulers over engines named <c>engine-&lt;i&gt;</c> with the given roles (PE start = index), default reliability settings.</summary>
internal static class TestSchedulers
{
    public static EngineScheduler Create(TimeProvider timeProvider, RouterMode mode, params EngineRole[] roles) =>
        Create(timeProvider, mode, new RoutingOptions(), roles);

    /// <summary>As <see cref="Create(TimeProvider, RouterMode, EngineRole[])"/>, with the given routing policy.</summary>
    public static EngineScheduler Create(RoutingPolicy policy, params EngineRole[] roles) =>
        Create(TimeProvider.System, RouterMode.RoundRobin, new RoutingOptions { RoutingPolicy = policy }, roles);

    private static EngineScheduler Create(TimeProvider timeProvider, RouterMode mode, RoutingOptions routing, EngineRole[] roles) =>
        new(Options.Create(new RouterOptions
        {
            Mode = mode,
            Model = "m",
            Engines = [.. roles.Select((role, i) => new EngineConfig { Name = $"engine-{i}", Role = role, PeStart = i })],
        }), Options.Create(new RouterReliabilityOptions()), timeProvider, Options.Create(routing));
}
