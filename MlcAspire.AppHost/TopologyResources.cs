using System.Globalization;
using MlcAspire.AppHost.Hosting;
using MlcAspire.AppHost.Topology;

namespace MlcAspire.AppHost;

/// <summary>
/// Declares a (validated) topology as Aspire resources with the MLC hosting integration: <c>engine-0 … engine-(n-1)</c>
/// in MLC's <c>--endpoint-*</c> order, the NVSHMEM uid helper of a disaggregated world, and the router over every
/// engine. docs/wiring.md is the contract of command lines and environment this writes.
/// </summary>
internal static class TopologyResources
{
    public const string RouterName = "router";
    public const string NvshmemUidName = "nvshmem-uid";

    public static string EngineName(int index) => $"engine-{index.ToString(CultureInfo.InvariantCulture)}";

    /// <param name="builder">The application.</param>
    /// <param name="options">The topology.</param>
    /// <param name="workingDirectory">Where relative paths (the model) resolve; the engines start there.</param>
    /// <param name="repositoryRoot">Where <c>deploy/mlc-engine/Dockerfile</c> is.</param>
    public static IResourceBuilder<ProjectResource> AddTopology(
        this IDistributedApplicationBuilder builder, TopologyOptions options, string workingDirectory, string repositoryRoot)
    {
        var starts = TopologyDefaults.DeviceStarts(options);
        var roles = TopologyDefaults.Roles(options);
        var disagg = options.RouterMode == RouterMode.Disagg && !options.AttachEngines;

        // MLC creates the uid even in round-robin mode, which then needs an NVSHMEM-enabled TVM (mlc-protocol.md W13).
        var uid = disagg ? builder.AddNvshmemHelper(options, workingDirectory) : null;
        var router = builder.AddMlcRouter<Projects.MlcAspire_Router>(
            RouterName, options.Model, options.RouterMode, options.PdBalanceFactor, options.RouterHost, options.RouterPort)
            .WithModelFolder(Path.GetFullPath(options.Model, workingDirectory))
            .WithEnvironment("Router__PdBalanceAdaptive", options.PdBalanceAdaptive ? "true" : "false")
            .WithEnvironment("Router__RoutingPolicy", options.EffectiveRoutingPolicy);
        for (var i = 0; i < options.EngineCount; i++)
        {
            var spec = new MlcEngineSpec
            {
                Model = options.Model,
                ModelLib = options.ModelLib,
                Role = roles[i],
                DeviceStart = starts[i],
                Gpus = options.EndpointNumGpus[i],
                PrefixCache = options.EnablePrefixCache,
                Host = options.EndpointHosts[i],
                Port = options.EndpointPorts[i],
            };
            if (options.AttachEngines || !EngineHosts.IsThisMachine(spec.Host))
            {
                var url = new UriBuilder(Uri.UriSchemeHttp, spec.Host, spec.Port).Uri.ToString().TrimEnd('/');
                router.WithEngine(builder.AddExternalService(EngineName(i), url), spec.Role, spec.PeStart);
                continue;
            }

            var engine = options.EngineKind == EngineKind.Mlc
                ? builder.AddMlcEngine(EngineName(i), spec, options.PythonCommand, workingDirectory, Path.Combine(repositoryRoot, "deploy", "mlc-engine", "Dockerfile"))
                : builder.AddReferenceEngine<Projects.MlcAspire_ReferenceEngine>(EngineName(i), spec, workingDirectory);
            if (uid is not null)
            {
                engine.WithNvshmemWorld(uid, starts[^1]);
            }

            if (options.OtlpEndpoint is { } otlp)
            {
                engine.WithEnvironment("OTEL_EXPORTER_OTLP_ENDPOINT", otlp);
            }

            router.WithEngine(engine);
        }

        if (options.OtlpEndpoint is { } routerOtlp)
        {
            router.WithEnvironment("OTEL_EXPORTER_OTLP_ENDPOINT", routerOtlp);
        }

        return router;
    }

    private static IResourceBuilder<NvshmemUidResource> AddNvshmemHelper(this IDistributedApplicationBuilder builder, TopologyOptions options, string workingDirectory) =>
        options.EngineKind == EngineKind.Mlc
            ? builder.AddNvshmemUid(NvshmemUidName, options.PythonCommand, ["-c", NvshmemUidBuilderExtensions.MlcNvshmemUidScript], workingDirectory)
            : builder.AddNvshmemUid(NvshmemUidName, BuiltProgram.DotnetCommand,
                [BuiltProgram.DllOf(new Projects.MlcAspire_ReferenceEngine().ProjectPath), "--nvshmem-uid"], workingDirectory);
}
