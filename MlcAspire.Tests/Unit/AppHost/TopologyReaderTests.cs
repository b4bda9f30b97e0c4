using Microsoft.Extensions.Configuration;
using MlcAspire.AppHost;
using MlcAspire.AppHost.Topology;
using MlcAspire.Contracts;

namespace MlcAspire.Tests.Unit.AppHost;

[Trait("Category", "Unit")]
public sealed class TopologyReaderTests
{
    [Fact]
    public void NoArguments_GivesReferenceTinyOnTwoReferenceEnginesDisaggregated()
    {
        var options = Read().Topology;

        Assert.Equal("models/reference-tiny", options.Model);
        Assert.Equal(EngineKind.Reference, options.EngineKind);
        Assert.Equal(RouterMode.Disagg, options.RouterMode);
        Assert.Equal(("127.0.0.1", 8000), (options.RouterHost, options.RouterPort));
        Assert.Equal([8080, 8081], options.EndpointPorts);
        Assert.Equal(["127.0.0.1", "127.0.0.1"], options.EndpointHosts);
        Assert.Equal([1, 1], options.EndpointNumGpus);
        Assert.Equal([EngineRole.Prefill, EngineRole.Decode], TopologyDefaults.Roles(options));
    }

    [Fact]
    public void MlcRouterFlags_AreReadWithMlcSeparators()
    {
        var options = Read(
            "dist/Llama-3-8B", "--model-lib", "dist/lib.so", "--router-mode", "round-robin",
            "--router-host", "0.0.0.0", "--router-port", "9000",
            "--endpoint-hosts", "10.0.0.1,10.0.0.2", "--endpoint-ports", "9124", "9125",
            "--endpoint-num-gpus", "4", "4", "--enable-prefix-cache", "--pd-balance-factor", "0.25",
            "--engine-kind", "mlc", "--python", "/opt/venv/bin/python", "--otlp-endpoint", "http://127.0.0.1:4317").Topology;

        Assert.Equal("dist/Llama-3-8B", options.Model);
        Assert.Equal("dist/lib.so", options.ModelLib);
        Assert.Equal(RouterMode.RoundRobin, options.RouterMode);
        Assert.Equal(("0.0.0.0", 9000), (options.RouterHost, options.RouterPort));
        Assert.Equal(["10.0.0.1", "10.0.0.2"], options.EndpointHosts);
        Assert.Equal([9124, 9125], options.EndpointPorts);
        Assert.Equal([4, 4], options.EndpointNumGpus);
        Assert.True(options.EnablePrefixCache);
        Assert.Equal(0.25, options.PdBalanceFactor);
        Assert.Equal(EngineKind.Mlc, options.EngineKind);
        Assert.Equal("/opt/venv/bin/python", options.PythonCommand);
        Assert.Equal("http://127.0.0.1:4317", options.OtlpEndpoint);
    }

    [Theory]
    [InlineData(new string[0], "least-loaded")]
    [InlineData(new[] { "--enable-prefix-cache" }, "cache-aware")]
    [InlineData(new[] { "--enable-prefix-cache", "--routing-policy", "least-loaded" }, "least-loaded")]
    [InlineData(new[] { "--routing-policy", "cache-aware" }, "cache-aware")]
    public void RoutingPolicy_DefaultsToCacheAwareExactlyWhenTheEnginesKeepAPrefixCache(string[] args, string expected)
    {
        var options = Read(args).Topology;

        Assert.Equal(expected, options.EffectiveRoutingPolicy);
    }

    [Fact]
    public void PdBalanceFactorAdaptive_TurnsThePerRequestSplitOn()
    {
        var adaptive = Read("--pd-balance-factor", "adaptive").Topology;
        var fixed_ = Read("--pd-balance-factor", "0.2").Topology;

        Assert.True(adaptive.PdBalanceAdaptive);
        Assert.Equal(0, adaptive.PdBalanceFactor);
        Assert.False(fixed_.PdBalanceAdaptive);
        Assert.Equal(0.2, fixed_.PdBalanceFactor);
    }

    [Fact]
    public void EqualsForm_IsReadLikeArgparse()
    {
        var options = Read("--router-port=9000", "--endpoint-hosts=10.0.0.1,10.0.0.2", "--pd-balance-factor=0.5").Topology;

        Assert.Equal(9000, options.RouterPort);
        Assert.Equal(["10.0.0.1", "10.0.0.2"], options.EndpointHosts);
        Assert.Equal(0.5, options.PdBalanceFactor);
    }

    [Fact]
    public void PortsAlone_GiveOneDefaultHostAndGpuPerEngine()
    {
        var options = Read("--endpoint-ports", "9001", "9002", "9003").Topology;

        Assert.Equal(["127.0.0.1", "127.0.0.1", "127.0.0.1"], options.EndpointHosts);
        Assert.Equal([1, 1, 1], options.EndpointNumGpus);
    }

    [Fact]
    public void Configuration_IsReadAndTheCommandLineWins()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Topology:RouterMode"] = "round-robin",
            ["Topology:EndpointPorts"] = "9001 9002 9003",
            ["Topology:EndpointNumGpus:0"] = "2",
            ["Topology:EndpointNumGpus:1"] = "2",
            ["Topology:EndpointNumGpus:2"] = "4",
            ["Topology:RouterPort"] = "7000",
            ["Topology:EngineKind"] = "mlc",
            ["Topology:StartupTimeoutSeconds"] = "30",
        }).Build();

        var options = TopologyReader.Read(["--router-port", "7001"], configuration).Options!;

        Assert.Equal(RouterMode.RoundRobin, options.Topology.RouterMode);
        Assert.Equal([9001, 9002, 9003], options.Topology.EndpointPorts);
        Assert.Equal([2, 2, 4], options.Topology.EndpointNumGpus);
        Assert.Equal(7001, options.Topology.RouterPort);
        Assert.Equal(EngineKind.Mlc, options.Topology.EngineKind);
        Assert.Equal(TimeSpan.FromSeconds(30), options.StartupTimeout);
    }

    [Fact]
    public void EndpointHostsAsConfigurationArray_KeepsEveryHost()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Topology:EndpointHosts:0"] = "10.0.0.1",
            ["Topology:EndpointHosts:1"] = "10.0.0.2",
            ["Topology:EndpointPorts:0"] = "9001",
            ["Topology:EndpointPorts:1"] = "9002",
            ["Topology:EndpointRoles:0"] = "Prefill",
            ["Topology:EndpointRoles:1"] = "Decode",
        }).Build();

        var options = TopologyReader.Read([], configuration).Options!.Topology;

        Assert.Equal(["10.0.0.1", "10.0.0.2"], options.EndpointHosts);
        Assert.Equal([9001, 9002], options.EndpointPorts);
        Assert.Equal([EngineRole.Prefill, EngineRole.Decode], options.EndpointRoles);
    }

    [Theory]
    [InlineData("10.0.0.1,10.0.0.2,10.0.0.3")]
    [InlineData("10.0.0.1, 10.0.0.2 ,10.0.0.3")]
    public void EndpointHostsAsConfigurationString_IsCommaSeparatedLikeTheFlag(string hosts)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Topology:EndpointHosts"] = hosts,
        }).Build();

        var options = TopologyReader.Read([], configuration).Options!.Topology;

        Assert.Equal(["10.0.0.1", "10.0.0.2", "10.0.0.3"], options.EndpointHosts);
        Assert.Equal(3, options.EngineCount);
        Assert.Equal("--endpoint-hosts", options.EngineCountFlag);
    }

    [Fact]
    public void PublisherArguments_AreTheOnesAzdPasses()
    {
        var options = Read("--publisher", "manifest", "--output-path", "aspire-manifest.json");

        Assert.Equal(AppHostOptions.ManifestPublisher, options.Publisher);
        Assert.Equal("aspire-manifest.json", options.OutputPath);
    }

    [Theory]
    [InlineData("--endpoint-ports 8080 x", "--endpoint-ports: expects space-separated integers, got 'x'")]
    [InlineData("--router-port eighty", "--router-port: expects an integer, got 'eighty'")]
    [InlineData("--pd-balance-factor half", "--pd-balance-factor: expects a number, got 'half'")]
    [InlineData("--router-mode least-loaded", "--router-mode: expects disagg or round-robin, got 'least-loaded'")]
    [InlineData("--engine-kind vllm", "--engine-kind: expects reference or mlc, got 'vllm'")]
    [InlineData("--endpoint-roles Prefill Encode", "--endpoint-roles: expects Prefill, Decode or Both for each engine, got 'Encode'")]
    [InlineData("--startup-timeout 0", "--startup-timeout: expects a positive number of seconds, got 0")]
    [InlineData("--tensor-parallel 2", "--tensor-parallel: unknown flag")]
    [InlineData("--model-lib", "--model-lib: expects a value")]
    [InlineData("model-a model-b", "model: only one model may be given, got 'model-a' and 'model-b'")]
    public void MalformedArguments_AreOneMessageNamingTheFlag(string args, string expected)
    {
        var result = TopologyReader.Read(args.Split(' '), new ConfigurationBuilder().Build());

        Assert.Null(result.Options);
        Assert.Equal(expected, result.Error);
    }

    private static AppHostOptions Read(params string[] args)
    {
        var result = TopologyReader.Read(args, new ConfigurationBuilder().Build());
        Assert.Null(result.Error);
        return result.Options!;
    }
}
