using System.Globalization;
using MlcAspire.AppHost.Topology;
using MlcAspire.Contracts;

namespace MlcAspire.AppHost.Planning;

/// <summary>
/// Turns a (validated) topology into resources: a pure function, so that the exact command lines and
/// environment are unit-tested without starting anything (docs/wiring.md is the contract it writes).
/// </summary>
internal static class PlanBuilder
{
    public const string RouterName = "router";
    public const string EngineHealthPath = "/v1/models";
    public const string RouterHealthPath = "/health";

    /// <summary>MLC's fixed engine overrides (mlc-protocol.md §1.2): <c>spec_draft_length=0</c> because its default is 0, not None.</summary>
    public const string MlcOverrides = "gpu_memory_utilization=0.8;spec_draft_length=0";

    /// <summary>
    /// The processes start where relative model paths resolve, so a .NET service is told where its own files
    /// (appsettings.json) are; Aspire starts projects in their project folder instead.
    /// </summary>
    public const string ContentRootVariable = "ASPNETCORE_CONTENTROOT";

    /// <summary>The router's model: its <c>/v1/models</c> id and, in disagg mode, the folder it tokenizes with.</summary>
    public const string RouterModelVariable = "Router__Model";

    /// <summary>
    /// The router's time to stop after SIGTERM: its default drain (the router's <c>RouterReliabilityOptions.DrainTimeout</c>,
    /// 20 s, docs/reliability.md), the 5 s its host adds to shut down after the drain, and a margin. Killing it sooner
    /// would cut the streams its drain lets finish or end with a <c>shutting_down</c> event.
    /// </summary>
    public static readonly TimeSpan RouterStopGracePeriod = TimeSpan.FromSeconds(30);

    /// <summary>An engine's time to stop after SIGTERM: its server closes its connections; it keeps no state worth more.</summary>
    public static readonly TimeSpan EngineStopGracePeriod = TimeSpan.FromSeconds(5);

    private const string DotnetCommand = "dotnet";
    private const string ContainerHost = "0.0.0.0";

    /// <summary>
    /// Asks TVM for the NVSHMEM unique id exactly as MLC's router does (mlc-protocol.md §1.5), prints it as one JSON line,
    /// and keeps this process (which hosts NVSHMEM's bootstrap root thread) alive until stdin closes.
    /// </summary>
    private const string MlcNvshmemUidScript =
        "import json, sys; import tvm; " +
        "uid = [int(x) for x in tvm.get_global_func('runtime.disco.nvshmem.init_nvshmem_uid')()]; " +
        "print(json.dumps(uid), flush=True); sys.stdin.read()";

    public static string EngineName(int index) => $"engine-{index}";

    public static AppPlan Build(TopologyOptions options, ProgramPaths paths, string workingDirectory)
    {
        var starts = TopologyDefaults.DeviceStarts(options);
        var roles = TopologyDefaults.Roles(options);
        var disagg = options.RouterMode == RouterMode.Disagg;
        var engines = Enumerable.Range(0, options.EngineCount)
            .Select(i => BuildEngine(options, paths, workingDirectory, i, starts[i], roles[i], disagg ? new NvshmemInit(starts[^1], starts[i]) : null))
            .ToList();

        // MLC creates the uid even in round-robin mode, which then needs an NVSHMEM-enabled TVM (mlc-protocol.md W13).
        var helper = disagg ? BuildNvshmemHelper(options, paths) : null;
        return new AppPlan(engines, BuildRouter(options, paths, engines), helper, workingDirectory);
    }

    private static ResourcePlan BuildEngine(
        TopologyOptions options, ProgramPaths paths, string workingDirectory, int index, int start, EngineRole role, NvshmemInit? nvshmem)
    {
        var name = EngineName(index);
        var host = options.EndpointHosts[index];
        var port = options.EndpointPorts[index];
        var gpus = options.EndpointNumGpus[index];
        var (command, prefix) = options.EngineKind switch
        {
            EngineKind.Mlc => (options.PythonCommand, new[] { "-m", "mlc_llm", "serve" }),
            _ => (DotnetCommand, new[] { paths.ReferenceEngineDll }),
        };

        // The reference engine has no compiled lib to read its tensor-parallel degree from, so it is told; a real
        // engine reads it from the lib's metadata and gets exactly MLC's command line.
        var overrides = options.EngineKind == EngineKind.Reference
            ? $"{MlcOverrides};tensor_parallel_shards={gpus}"
            : MlcOverrides;

        var environment = CommonEnvironment(options, name);
        if (options.EngineKind == EngineKind.Reference)
        {
            environment[ContentRootVariable] = Path.GetDirectoryName(paths.ReferenceEngineDll)!;
        }

        return new ResourcePlan(
            name,
            command,
            [.. prefix, .. ServeArgs(host, start, options.Model, options.ModelLib)],
            environment,
            new EndpointPlan(EndpointPlan.Http, Uri.UriSchemeHttp, host, port),
            EngineHealthPath,
            [],
            EngineStopGracePeriod,
            new EnginePlan(index, role, [.. Enumerable.Range(start, gpus)], nvshmem, ServeArgs(
                ContainerHost,
                0,
                ContainerPaths.Model(options.Model),
                options.ModelLib is { } modelLib ? ContainerPaths.ModelLib(modelLib, options.Model, workingDirectory) : null)));

        // mlc-protocol.md §1.2 in order, with --enable-debug once (MLC passes it twice, mlc-protocol.md W13).
        // A container sees only the GPUs it was given, numbered from 0, and the model where the image keeps it.
        List<string> ServeArgs(string bindHost, int device, string model, string? lib)
        {
            List<string> args = [model];
            if (lib is not null)
            {
                args.AddRange(["--model-lib", lib]);
            }

            args.AddRange(
            [
                "--device", $"cuda:{device.ToString(CultureInfo.InvariantCulture)}",
                "--enable-debug",
                "--mode", "server",
                "--speculative-mode", "disable",
                "--prefix-cache-mode", options.EnablePrefixCache ? "radix" : "disable",
                "--overrides", overrides,
                "--host", bindHost,
                "--port", port.ToString(CultureInfo.InvariantCulture),
            ]);
            return args;
        }
    }

    private static ResourcePlan BuildRouter(TopologyOptions options, ProgramPaths paths, IReadOnlyList<ResourcePlan> engines)
    {
        var endpoint = new EndpointPlan(EndpointPlan.Http, Uri.UriSchemeHttp, options.RouterHost, options.RouterPort);
        var environment = CommonEnvironment(options, RouterName);
        environment["ASPNETCORE_URLS"] = endpoint.Url.ToString().TrimEnd('/');
        environment[ContentRootVariable] = Path.GetDirectoryName(paths.RouterDll)!;
        foreach (var engine in engines)
        {
            environment[ServiceDiscoveryKey(engine)] = engine.Endpoint.Url.ToString().TrimEnd('/');
        }

        environment["Router__Mode"] = RouterModeNames.Format(options.RouterMode);
        environment[RouterModelVariable] = options.Model;
        environment["Router__PdBalanceFactor"] = options.PdBalanceFactor.ToString("R", CultureInfo.InvariantCulture);
        environment["Router__PdBalanceAdaptive"] = options.PdBalanceAdaptive ? "true" : "false";
        environment["Router__RoutingPolicy"] = options.EffectiveRoutingPolicy;
        foreach (var engine in engines)
        {
            var details = engine.Engine!;
            var k = details.Index.ToString(CultureInfo.InvariantCulture);
            environment[$"Router__Engines__{k}__Name"] = engine.Name;
            environment[$"Router__Engines__{k}__Role"] = details.Role.ToString();
            environment[$"Router__Engines__{k}__PeStart"] = details.PeStart.ToString(CultureInfo.InvariantCulture);
        }

        return new ResourcePlan(
            RouterName,
            DotnetCommand,
            [paths.RouterDll],
            environment,
            endpoint,
            RouterHealthPath,
            [.. engines.Select(e => e.Name)],
            RouterStopGracePeriod,
            null);
    }

    /// <summary>The variable Aspire injects for a reference to a resource's endpoint.</summary>
    public static string ServiceDiscoveryKey(ResourcePlan resource) =>
        $"services__{resource.Name}__{resource.Endpoint.Name}__0";

    private static NvshmemHelperPlan BuildNvshmemHelper(TopologyOptions options, ProgramPaths paths) =>
        options.EngineKind switch
        {
            EngineKind.Mlc => new(options.PythonCommand, ["-c", MlcNvshmemUidScript]),
            _ => new(DotnetCommand, [paths.ReferenceEngineDll, "--nvshmem-uid"]),
        };

    private static Dictionary<string, string> CommonEnvironment(TopologyOptions options, string serviceName)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["OTEL_SERVICE_NAME"] = serviceName };
        if (options.OtlpEndpoint is { } otlp)
        {
            environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp;
        }

        return environment;
    }
}
