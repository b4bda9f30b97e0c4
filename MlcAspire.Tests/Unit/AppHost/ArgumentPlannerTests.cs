using MlcAspire.AppHost;
using MlcAspire.AppHost.Planning;

namespace MlcAspire.Tests.Unit.AppHost;

[Trait("Category", "Unit")]
public sealed class ArgumentPlannerTests
{
    [Fact]
    public void Plan_TakesEveryPortFromTheCaller_RouterFirst()
    {
        var next = 41_000;

        var plan = ArgumentPlanner.Plan(["models/reference-tiny", "--endpoint-num-gpus", "1", "1", "1"], () => next++);

        Assert.Equal(41_000, plan.Router.Endpoint.Port);
        Assert.Equal([41_001, 41_002, 41_003], plan.Engines.Select(e => e.Endpoint.Port));
        Assert.NotNull(plan.NvshmemHelper);
    }

    [Fact]
    public void Plan_InvalidTopology_ThrowsTheAppHostsMessage()
    {
        var next = 41_000;

        var error = Assert.Throws<ArgumentException>(() => ArgumentPlanner.Plan(["--pd-balance-factor", "1.5"], () => next++));

        Assert.StartsWith("--pd-balance-factor: 1.5 is outside [0, 1)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PlanRouter_ReachesRunningEnginesByTheirOwnNamesAndPeStarts()
    {
        RunningEngine[] engines = [new("engine-3", new Uri("http://127.0.0.1:41003"), 3), new("engine-2", new Uri("http://127.0.0.1:41002"), 2)];

        var plan = ArgumentPlanner.PlanRouter(engines, new Dictionary<string, string>(),
            ["models/reference-tiny", "--endpoint-roles", "Prefill", "Decode"], () => 41_000);

        Assert.Empty(plan.Engines);
        Assert.Null(plan.NvshmemHelper);
        Assert.Empty(plan.Router.WaitsFor);
        Assert.Equal(41_000, plan.Router.Endpoint.Port);
        var environment = plan.Router.Environment;
        Assert.Equal("http://127.0.0.1:41003", environment["services__engine-3__http__0"]);
        Assert.Equal("http://127.0.0.1:41002", environment["services__engine-2__http__0"]);
        Assert.DoesNotContain("services__engine-0__http__0", environment.Keys);
        Assert.DoesNotContain("services__engine-1__http__0", environment.Keys);
        Assert.Equal(["engine-3", "Prefill", "3"], [environment["Router__Engines__0__Name"], environment["Router__Engines__0__Role"], environment["Router__Engines__0__PeStart"]]);
        Assert.Equal(["engine-2", "Decode", "2"], [environment["Router__Engines__1__Name"], environment["Router__Engines__1__Role"], environment["Router__Engines__1__PeStart"]]);
    }

    [Fact]
    public void PlanRouter_CallersEnvironmentWinsOverThePlans()
    {
        RunningEngine[] engines = [new("engine-0", new Uri("http://127.0.0.1:41001"), 0), new("engine-1", new Uri("http://127.0.0.1:41002"), 1)];

        var plan = ArgumentPlanner.PlanRouter(engines,
            new Dictionary<string, string> { ["Router__PdBalanceFactor"] = "0.25", ["Router__MaxInFlightPerEngine"] = "7" },
            ["models/reference-tiny", "--pd-balance-factor", "0.1"], () => 41_000);

        Assert.Equal("0.25", plan.Router.Environment["Router__PdBalanceFactor"]);
        Assert.Equal("7", plan.Router.Environment["Router__MaxInFlightPerEngine"]);
        Assert.Equal("disagg", plan.Router.Environment["Router__Mode"]);
    }
}
