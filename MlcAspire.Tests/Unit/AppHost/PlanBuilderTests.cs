using Microsoft.Extensions.Configuration;
using MlcAspire.AppHost.Planning;
using MlcAspire.AppHost.Topology;
using MlcAspire.Contracts;

namespace MlcAspire.Tests.Unit.AppHost;

[Trait("Category", "Unit")]
public sealed class PlanBuilderTests
{
    private static readonly ProgramPaths s_paths = new("/repo/bin/MlcAspire.Router.dll", "/repo/bin/MlcAspire.ReferenceEngine.dll", "/repo", "/repo/bin/MlcAspire.AppHost.dll");

    private const string MlcTopology =
        "--engine-kind mlc --endpoint-ports 9001 9002 9003 --endpoint-num-gpus 2 2 4 --pd-balance-factor 0.1 --enable-prefix-cache";

    [Fact]
    public void MlcEngines_GetExactlyMlcServeCommandLine_WithEnableDebugOnce()
    {
        var plan = Plan(MlcTopology);

        Assert.Equal(["engine-0", "engine-1", "engine-2"], plan.Engines.Select(e => e.Name));
        Assert.All(plan.Engines, e => Assert.Equal("python3", e.Command));
        Assert.Equal(
            ["-m", "mlc_llm", "serve", "models/reference-tiny", "--device", "cuda:0", "--enable-debug", "--mode", "server",
             "--speculative-mode", "disable", "--prefix-cache-mode", "radix",
             "--overrides", "gpu_memory_utilization=0.8;spec_draft_length=0", "--host", "127.0.0.1", "--port", "9001"],
            plan.Engines[0].Args);
        Assert.Equal(
            ["-m", "mlc_llm", "serve", "models/reference-tiny", "--device", "cuda:2", "--enable-debug", "--mode", "server",
             "--speculative-mode", "disable", "--prefix-cache-mode", "radix",
             "--overrides", "gpu_memory_utilization=0.8;spec_draft_length=0", "--host", "127.0.0.1", "--port", "9002"],
            plan.Engines[1].Args);
        Assert.Equal(
            ["-m", "mlc_llm", "serve", "models/reference-tiny", "--device", "cuda:4", "--enable-debug", "--mode", "server",
             "--speculative-mode", "disable", "--prefix-cache-mode", "radix",
             "--overrides", "gpu_memory_utilization=0.8;spec_draft_length=0", "--host", "127.0.0.1", "--port", "9003"],
            plan.Engines[2].Args);
    }

    [Fact]
    public void ModelLibAndPrefixCacheOff_AppearWhereMlcPutsThem()
    {
        var plan = Plan("dist/model --model-lib dist/model.so --engine-kind mlc --python /venv/bin/python");

        Assert.Equal("/venv/bin/python", plan.Engines[1].Command);
        Assert.Equal(
            ["-m", "mlc_llm", "serve", "dist/model", "--model-lib", "dist/model.so", "--device", "cuda:1", "--enable-debug",
             "--mode", "server", "--speculative-mode", "disable", "--prefix-cache-mode", "disable",
             "--overrides", "gpu_memory_utilization=0.8;spec_draft_length=0", "--host", "127.0.0.1", "--port", "8081"],
            plan.Engines[1].Args);
    }

    [Fact]
    public void Engines_GetDevicesPeStartsAndOneNvshmemWorld()
    {
        var plan = Plan(MlcTopology);

        Assert.Equal([[0, 1], [2, 3], [4, 5, 6, 7]], plan.Engines.Select(e => e.Engine!.Devices));
        Assert.Equal([new NvshmemInit(8, 0), new NvshmemInit(8, 2), new NvshmemInit(8, 4)], plan.Engines.Select(e => e.Engine!.Nvshmem));
        Assert.Equal(
            """{"uid": [65664, -3, 7], "npes": 8, "pe_start": 4}""",
            plan.Engines[2].Engine!.Nvshmem!.ToEnvironmentValue([65664, -3, 7]));
    }

    [Fact]
    public void Engines_GetServiceNameEndpointAndModelsReadiness()
    {
        var plan = Plan(MlcTopology + " --otlp-endpoint http://127.0.0.1:4317");
        var engine = plan.Engines[1];

        Assert.Equal(
            new Dictionary<string, string> { ["OTEL_SERVICE_NAME"] = "engine-1", ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4317" },
            engine.Environment);
        Assert.Equal(new EndpointPlan("http", "http", "127.0.0.1", 9002), engine.Endpoint);
        Assert.Equal("/v1/models", engine.HealthPath);
        Assert.Empty(engine.WaitsFor);
    }

    [Fact]
    public void MlcDisagg_UidHelperCallsTvmAndWaitsOnStdin()
    {
        var helper = Plan(MlcTopology).NvshmemHelper!;

        Assert.Equal("python3", helper.Command);
        Assert.Equal("-c", helper.Args[0]);
        Assert.Contains("tvm.get_global_func('runtime.disco.nvshmem.init_nvshmem_uid')", helper.Args[1], StringComparison.Ordinal);
        Assert.Contains("sys.stdin.read()", helper.Args[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Router_GetsServiceDiscoveryAndRouterOptionsAsWiringSays()
    {
        var router = Plan(MlcTopology).Router;

        Assert.Equal("router", router.Name);
        Assert.Equal("dotnet", router.Command);
        Assert.Equal(["/repo/bin/MlcAspire.Router.dll"], router.Args);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["OTEL_SERVICE_NAME"] = "router",
                ["ASPNETCORE_URLS"] = "http://127.0.0.1:8000",
                ["ASPNETCORE_CONTENTROOT"] = "/repo/bin",
                ["services__engine-0__http__0"] = "http://127.0.0.1:9001",
                ["services__engine-1__http__0"] = "http://127.0.0.1:9002",
                ["services__engine-2__http__0"] = "http://127.0.0.1:9003",
                ["Router__Mode"] = "disagg",
                ["Router__Model"] = "models/reference-tiny",
                ["Router__PdBalanceFactor"] = "0.1",
                ["Router__PdBalanceAdaptive"] = "false",
                ["Router__RoutingPolicy"] = "cache-aware",
                ["Router__Engines__0__Name"] = "engine-0",
                ["Router__Engines__0__Role"] = "Prefill",
                ["Router__Engines__0__PeStart"] = "0",
                ["Router__Engines__1__Name"] = "engine-1",
                ["Router__Engines__1__Role"] = "Decode",
                ["Router__Engines__1__PeStart"] = "2",
                ["Router__Engines__2__Name"] = "engine-2",
                ["Router__Engines__2__Role"] = "Decode",
                ["Router__Engines__2__PeStart"] = "4",
            },
            router.Environment);
        Assert.Equal("/health", router.HealthPath);
        Assert.Equal(["engine-0", "engine-1", "engine-2"], router.WaitsFor);
    }

    [Fact]
    public void ReferenceEngines_GetTheSameCommandLineUnderDotnetWithTheirTensorParallelDegree()
    {
        var plan = Plan("--endpoint-num-gpus 1 2");

        Assert.Equal("dotnet", plan.Engines[1].Command);
        Assert.Equal(
            ["/repo/bin/MlcAspire.ReferenceEngine.dll", "models/reference-tiny", "--device", "cuda:1", "--enable-debug",
             "--mode", "server", "--speculative-mode", "disable", "--prefix-cache-mode", "disable",
             "--overrides", "gpu_memory_utilization=0.8;spec_draft_length=0;tensor_parallel_shards=2",
             "--host", "127.0.0.1", "--port", "8081"],
            plan.Engines[1].Args);
        Assert.Equal("/repo/bin", plan.Engines[1].Environment["ASPNETCORE_CONTENTROOT"]);
        Assert.Equal("dotnet", plan.NvshmemHelper!.Command);
        Assert.Equal(["/repo/bin/MlcAspire.ReferenceEngine.dll", "--nvshmem-uid"], plan.NvshmemHelper.Args);
    }

    [Fact]
    public void RoundRobin_HasNoNvshmemWorldAndEveryEngineServesBoth()
    {
        var plan = Plan("--router-mode round-robin --endpoint-ports 8080 8081 8082");

        Assert.Null(plan.NvshmemHelper);
        Assert.All(plan.Engines, e => Assert.Null(e.Engine!.Nvshmem));
        Assert.Equal(["Both", "Both", "Both"], [.. Enumerable.Range(0, 3).Select(k => plan.Router.Environment[$"Router__Engines__{k}__Role"])]);
        Assert.Equal("round-robin", plan.Router.Environment["Router__Mode"]);
    }

    [Fact]
    public void ExplicitRoles_OverrideMlcLayout()
    {
        var plan = Plan("--endpoint-ports 8080 8081 8082 --endpoint-roles Decode Prefill Both");

        Assert.Equal([EngineRole.Decode, EngineRole.Prefill, EngineRole.Both], plan.Engines.Select(e => e.Engine!.Role));
    }

    [Fact]
    public void ContainerServeArgs_ListenOnAllInterfacesFromTheContainersFirstGpu()
    {
        var engine = Plan(MlcTopology).Engines[2].Engine!;

        Assert.Equal(
            ["models/reference-tiny", "--device", "cuda:0", "--enable-debug", "--mode", "server", "--speculative-mode", "disable",
             "--prefix-cache-mode", "radix", "--overrides", "gpu_memory_utilization=0.8;spec_draft_length=0",
             "--host", "0.0.0.0", "--port", "9003"],
            engine.ContainerServeArgs);
    }

    private static AppPlan Plan(string args)
    {
        var read = TopologyReader.Read(args.Split(' ', StringSplitOptions.RemoveEmptyEntries), new ConfigurationBuilder().Build());
        Assert.Null(read.Error);
        Assert.Null(TopologyValidator.Validate(read.Options!.Topology, machineGpuCount: null));
        return PlanBuilder.Build(read.Options.Topology, s_paths, "/repo");
    }
}
