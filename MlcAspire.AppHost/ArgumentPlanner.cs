using System.Globalization;
using Microsoft.Extensions.Configuration;
using MlcAspire.AppHost.Planning;
using MlcAspire.AppHost.Topology;

namespace MlcAspire.AppHost;

/// <summary>
/// The AppHost's planning steps (read the arguments, validate, find the working directory, build the plan) for hosts
/// that run a plan themselves with <see cref="Running.AppRunner"/> on ports they chose: the end-to-end tests'
/// TestingApp and the benchmark. An invalid topology throws <see cref="ArgumentException"/> with the AppHost's message.
/// </summary>
internal static class ArgumentPlanner
{
    /// <summary>Plans the topology the AppHost would run for <paramref name="args"/>, every port taken from <paramref name="takePort"/>.</summary>
    public static AppPlan Plan(IReadOnlyList<string> args, Func<int> takePort)
    {
        var topology = Read(args);
        topology = topology with
        {
            RouterPort = takePort(),
            EndpointPorts = [.. topology.EndpointPorts.Select(_ => takePort())],
        };
        return Build(topology, args);
    }

    /// <summary>
    /// Plans the router alone, exactly as the AppHost would for <paramref name="args"/>, in front of engines that
    /// already run (an engine world that several routers share, one per mode, balance factor or topology): engine
    /// <c>i</c> of the topology is <c>engines[i]</c>, reached under its own name and joined at its own PE start.
    /// <paramref name="environment"/> is added to the router's, as an AppHost user would add it.
    /// </summary>
    public static AppPlan PlanRouter(
        IReadOnlyList<RunningEngine> engines, IReadOnlyDictionary<string, string> environment, IReadOnlyList<string> args, Func<int> takePort)
    {
        var topology = Read(args) with
        {
            RouterPort = takePort(),
            EndpointHosts = [.. engines.Select(e => e.Url.Host)],
            EndpointPorts = [.. engines.Select(e => e.Url.Port)],
            EndpointNumGpus = [.. engines.Select(_ => 1)],
        };
        var plan = Build(topology, args);

        // The plan names the engines by their place in this topology; the world they joined knows them by theirs.
        var merged = new Dictionary<string, string>(plan.Router.Environment, StringComparer.Ordinal);
        for (var i = 0; i < engines.Count; i++)
        {
            var planned = plan.Engines[i];
            merged.Remove(PlanBuilder.ServiceDiscoveryKey(planned));
            merged[PlanBuilder.ServiceDiscoveryKey(planned with { Name = engines[i].Name })] = planned.Endpoint.Url.ToString().TrimEnd('/');
            merged[$"Router__Engines__{i}__Name"] = engines[i].Name;
            merged[$"Router__Engines__{i}__PeStart"] = engines[i].PeStart.ToString(CultureInfo.InvariantCulture);
        }

        var router = (plan.Router with { Environment = merged, WaitsFor = [] }).WithEnvironment(environment);
        return new AppPlan([], router, null, plan.WorkingDirectory);
    }

    private static TopologyOptions Read(IReadOnlyList<string> args)
    {
        var read = TopologyReader.Read(args, new ConfigurationBuilder().Build());
        return read.Options?.Topology ?? throw new ArgumentException(read.Error, nameof(args));
    }

    private static AppPlan Build(TopologyOptions topology, IReadOnlyList<string> args)
    {
        if (TopologyValidator.Validate(topology, GpuInventory.Count()) is { } error)
        {
            throw new ArgumentException(error, nameof(args));
        }

        var paths = ProgramPaths.FromBuild();
        var workingDirectory = ModelLocation.WorkingDirectory(topology.Model, Environment.CurrentDirectory, paths.RepositoryRoot);
        return PlanBuilder.Build(topology, paths, workingDirectory);
    }
}
