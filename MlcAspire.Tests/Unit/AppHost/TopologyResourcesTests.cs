using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using MlcAspire.AppHost.Hosting;
using MlcAspire.Contracts;

namespace MlcAspire.Tests.Unit.AppHost;

/// <summary>
/// The command lines and environment docs/wiring.md promises, read from the AppHost's Aspire model for MLC's flags
/// (nothing starts): MLC's <c>mlc_llm serve</c> arguments, the NVSHMEM world, the router's <c>Router__*</c> settings and
/// service discovery, the connection string, and engines on another host.
/// </summary>
[Trait("Category", "Unit")]
public sealed class TopologyResourcesTests
{
    private const string MlcTopology =
        "--engine-kind mlc --endpoint-ports 9001 9002 9003 --endpoint-num-gpus 2 2 4 --pd-balance-factor 0.1 --enable-prefix-cache";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task MlcEngines_GetExactlyMlcServeCommandLine_WithEnableDebugOnce()
    {
        var model = await ResourceModel.CreateAsync(MlcTopology, Token);

        Assert.Equal(["engine-0", "engine-1", "engine-2"], model.Engines.Select(e => e.Name));
        Assert.All(model.Engines, e => Assert.Equal("python3", e.Command));
        foreach (var (engine, device, port) in new[] { ("engine-0", 0, 9001), ("engine-1", 2, 9002), ("engine-2", 4, 9003) })
        {
            Assert.Equal(
                ["-m", "mlc_llm", "serve", "models/reference-tiny", "--device", $"cuda:{device}", "--enable-debug", "--mode", "server",
                 "--speculative-mode", "disable", "--prefix-cache-mode", "radix",
                 "--overrides", "gpu_memory_utilization=0.8;spec_draft_length=0", "--host", "127.0.0.1", "--port", $"{port}"],
                await model.ArgsAsync(model.Resource<MlcEngineResource>(engine)));
        }
    }

    [Fact]
    public async Task ModelLibAndPrefixCacheOff_AppearWhereMlcPutsThem()
    {
        var model = await ResourceModel.CreateAsync("dist/model --model-lib dist/model.so --engine-kind mlc --python /venv/bin/python", Token);
        var engine = model.Resource<MlcEngineResource>("engine-1");

        Assert.Equal("/venv/bin/python", engine.Command);
        Assert.Equal(
            ["-m", "mlc_llm", "serve", "dist/model", "--model-lib", "dist/model.so", "--device", "cuda:1", "--enable-debug",
             "--mode", "server", "--speculative-mode", "disable", "--prefix-cache-mode", "disable",
             "--overrides", "gpu_memory_utilization=0.8;spec_draft_length=0", "--host", "127.0.0.1", "--port", "8081"],
            await model.ArgsAsync(engine));
    }

    [Fact]
    public async Task ReferenceEngines_RunTheirBuiltProgram_TellingItsTensorParallelDegreeAndContentRoot()
    {
        var model = await ResourceModel.CreateAsync("--router-mode round-robin --endpoint-num-gpus 1 3", Token);
        var engine = model.Resource<MlcEngineResource>("engine-1");
        var args = await model.ArgsAsync(engine);

        Assert.Equal("dotnet", engine.Command);
        Assert.EndsWith("MlcAspire.ReferenceEngine.dll", args[0], StringComparison.Ordinal);
        Assert.Equal(
            ["models/reference-tiny", "--device", "cuda:1", "--enable-debug", "--mode", "server", "--speculative-mode", "disable",
             "--prefix-cache-mode", "disable", "--overrides", "gpu_memory_utilization=0.8;spec_draft_length=0;tensor_parallel_shards=3",
             "--host", "127.0.0.1", "--port", "8081"],
            args.Skip(1));
        Assert.Equal(Path.GetDirectoryName(args[0]), (await model.EnvironmentAsync(engine))["ASPNETCORE_CONTENTROOT"]);
    }

    [Fact]
    public async Task Engines_JoinOneNvshmemWorld_WithTheHelpersUid_AfterWaitingForIt()
    {
        var model = await ResourceModel.CreateAsync(MlcTopology, Token);
        model.SetUid([65664, -3, 7]);

        var environment = await model.EnvironmentAsync(model.Resource<MlcEngineResource>("engine-2"));

        Assert.Equal("""{"uid": [65664, -3, 7], "npes": 8, "pe_start": 4}""", environment[NvshmemInit.EnvironmentVariable]);
        Assert.All(model.Engines, e => Assert.Contains(e.Annotations.OfType<WaitAnnotation>(), w => w.Resource.Name == "nvshmem-uid"));
        Assert.Equal(["python3", "-c"], [model.Resource<NvshmemUidResource>("nvshmem-uid").Command, model.Resource<NvshmemUidResource>("nvshmem-uid").Args[0]]);
        Assert.Contains("runtime.disco.nvshmem.init_nvshmem_uid", model.Resource<NvshmemUidResource>("nvshmem-uid").Args[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task RoundRobin_HasNoNvshmemWorld()
    {
        var model = await ResourceModel.CreateAsync("--router-mode round-robin", Token);

        Assert.Empty(model.Resources.OfType<NvshmemUidResource>());
        Assert.All(model.Engines, e => Assert.DoesNotContain(e.Annotations.OfType<WaitAnnotation>(), w => w.Resource.Name == "nvshmem-uid"));
    }

    [Fact]
    public async Task Engines_GetHttpEndpointOnTheirPort_ModelsHealthCheck_Otlp_AndTheirPlacementAsProperties()
    {
        var model = await ResourceModel.CreateAsync(MlcTopology + " --otlp-endpoint http://127.0.0.1:4317", Token);
        model.SetUid([1]);
        var engine = model.Resource<MlcEngineResource>("engine-1");
        var endpoint = Assert.Single(engine.Annotations.OfType<EndpointAnnotation>());

        Assert.Equal(("http", 9002, "127.0.0.1", false), (endpoint.Name, endpoint.Port, endpoint.TargetHost, endpoint.IsProxied));
        Assert.Contains(engine.Annotations.OfType<HealthCheckAnnotation>(), h => h.Key.Contains("/v1/models", StringComparison.Ordinal));
        Assert.Equal("http://127.0.0.1:4317", (await model.EnvironmentAsync(engine))["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        Assert.Equal(
            [("mlc.role", (object)"Decode"), ("mlc.device", "cuda:2"), ("mlc.gpus", 2), ("mlc.pe_start", 2), ("mlc.model", "models/reference-tiny")],
            MlcEngineBuilderExtensions.EngineProperties(engine.Spec).Select(p => (p.Name, p.Value)));
    }

    [Fact]
    public async Task Router_GetsRouterSettingsAndServiceDiscoveryOfEveryEngine_AndWaitsForThem()
    {
        var model = await ResourceModel.CreateAsync(MlcTopology, Token);
        var router = model.Resource<ProjectResource>("router");

        var environment = await model.EnvironmentAsync(router);

        Assert.Equal("disagg", environment["Router__Mode"]);
        Assert.Equal("models/reference-tiny", environment["Router__Model"]);
        Assert.Equal("0.1", environment["Router__PdBalanceFactor"]);
        Assert.Equal(
            [("engine-0", "Prefill", "0"), ("engine-1", "Decode", "2"), ("engine-2", "Decode", "4")],
            Enumerable.Range(0, 3).Select(k => (environment[$"Router__Engines__{k}__Name"], environment[$"Router__Engines__{k}__Role"], environment[$"Router__Engines__{k}__PeStart"])));
        Assert.Equal(
            ["http://127.0.0.1:9001", "http://127.0.0.1:9002", "http://127.0.0.1:9003"],
            Enumerable.Range(0, 3).Select(i => environment[$"services__engine-{i}__http__0"]));
        Assert.Equal(["engine-0", "engine-1", "engine-2"], router.Annotations.OfType<WaitAnnotation>().Select(w => w.Resource.Name));
        Assert.Contains(router.Annotations.OfType<HealthCheckAnnotation>(), h => h.Key.Contains("/health", StringComparison.Ordinal));
        var endpoint = Assert.Single(router.Annotations.OfType<EndpointAnnotation>());
        Assert.Equal(("http", 8000, "127.0.0.1", false), (endpoint.Name, endpoint.Port, endpoint.TargetHost, endpoint.IsProxied));
    }

    [Fact]
    public async Task Router_ExposesAConnectionStringWithItsUrlAndModel()
    {
        var model = await ResourceModel.CreateAsync("--router-port 8123", Token);
        var connection = Assert.Single(model.Resources.OfType<MlcRouterConnectionResource>());

        var value = await connection.ConnectionStringExpression.GetValueAsync(Token);

        Assert.Equal("Endpoint=http://127.0.0.1:8123;Model=models/reference-tiny", value);
    }

    [Fact]
    public async Task EnginesOnAnotherHost_AreReferencedByUrl_AndNotStarted()
    {
        var model = await ResourceModel.CreateAsync("--router-mode round-robin --endpoint-hosts 127.0.0.1,10.1.2.3 --endpoint-ports 8080 8090", Token);
        var router = model.Resource<ProjectResource>("router");

        Assert.Equal(["engine-0"], model.Engines.Select(e => e.Name));
        Assert.Equal("http://10.1.2.3:8090/", (await model.EnvironmentAsync(router))["services__engine-1__http__0"]);
    }

    [Fact]
    public async Task EngineCommands_DrainAndUndrainThroughTheRouter()
    {
        var model = await ResourceModel.CreateAsync("", Token);

        Assert.Equal(
            ["router-drain", "router-undrain"],
            model.Resource<MlcEngineResource>("engine-0").Annotations.OfType<ResourceCommandAnnotation>().Select(c => c.Name).Where(n => n.StartsWith("router-", StringComparison.Ordinal)));
        Assert.Equal(EngineRole.Prefill, model.Resource<MlcEngineResource>("engine-0").Spec.Role);
    }
}
