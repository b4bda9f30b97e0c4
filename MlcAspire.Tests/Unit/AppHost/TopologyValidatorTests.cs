using Microsoft.Extensions.Configuration;
using MlcAspire.AppHost.Topology;

namespace MlcAspire.Tests.Unit.AppHost;

[Trait("Category", "Unit")]
public sealed class TopologyValidatorTests
{
    [Theory]
    [InlineData("")]
    [InlineData("--router-mode round-robin --endpoint-ports 9001")]
    [InlineData("--endpoint-ports 9001 9002 9003 --endpoint-num-gpus 2 2 4 --pd-balance-factor 0.1 --enable-prefix-cache --engine-kind mlc")]
    [InlineData("--endpoint-ports 9001 9002 9003 --endpoint-roles Decode Prefill Both")]
    [InlineData("--enable-prefix-cache --routing-policy least-loaded --pd-balance-factor adaptive")]
    public void ValidTopologies_PassValidation(string args) =>
        Assert.Null(Validate(args, machineGpuCount: 8));

    [Theory]
    [InlineData("--endpoint-ports 9001 9002 --endpoint-num-gpus 1", "--endpoint-num-gpus: has 1 value(s) but --endpoint-ports has 2; give one per engine")]
    [InlineData("--endpoint-ports 9001 9002 --endpoint-hosts 127.0.0.1", "--endpoint-hosts: has 1 value(s) but --endpoint-ports has 2; give one per engine")]
    [InlineData("--endpoint-ports 9001 9002 --endpoint-roles Prefill Decode Decode", "--endpoint-roles: has 3 value(s) but --endpoint-ports has 2; give one per engine")]
    [InlineData("--endpoint-hosts 127.0.0.1,127.0.0.1 --endpoint-num-gpus 1", "--endpoint-num-gpus: has 1 value(s) but --endpoint-hosts has 2; give one per engine")]
    [InlineData("--endpoint-num-gpus 1 1 1 --endpoint-roles Prefill Decode", "--endpoint-roles: has 2 value(s) but --endpoint-num-gpus has 3; give one per engine")]
    [InlineData("--endpoint-roles Prefill Decode Decode --endpoint-hosts 127.0.0.1", "--endpoint-roles: has 3 value(s) but --endpoint-hosts has 1; give one per engine")]
    [InlineData("--endpoint-num-gpus 1", "--router-mode: disagg needs at least two engines, --endpoint-num-gpus gives 1")]
    [InlineData("--endpoint-ports 9001 9001", "--endpoint-ports: port 9001 is used twice")]
    [InlineData("--router-port 9001 --endpoint-ports 9001 9002", "--endpoint-ports: port 9001 is also the --router-port")]
    [InlineData("--endpoint-ports 9001 70000", "--endpoint-ports: 70000 is not a TCP port (1-65535)")]
    [InlineData("--router-port 0", "--router-port: 0 is not a TCP port (1-65535)")]
    [InlineData("--pd-balance-factor 1", "--pd-balance-factor: 1 is outside [0, 1)")]
    [InlineData("--routing-policy sticky", "--routing-policy: expects least-loaded or cache-aware, got 'sticky'")]
    [InlineData("--pd-balance-factor -0.1", "--pd-balance-factor: -0.1 is outside [0, 1)")]
    [InlineData("--endpoint-ports 9001", "--router-mode: disagg needs at least two engines, --endpoint-ports gives 1")]
    [InlineData("--endpoint-roles Decode Decode", "--endpoint-roles: disagg needs at least one Prefill engine")]
    [InlineData("--endpoint-roles Prefill Prefill", "--endpoint-roles: disagg needs at least one Decode engine")]
    [InlineData("--router-mode round-robin --endpoint-roles Prefill Decode", "--endpoint-roles: round-robin sends whole requests, so every engine must be Both")]
    [InlineData("--endpoint-num-gpus 1 0", "--endpoint-num-gpus: every engine needs at least one GPU, got 0")]
    [InlineData("--engine-kind mlc --endpoint-num-gpus 4 8", "--endpoint-num-gpus: the engines need 12 GPUs but this machine has 8")]
    public void InvalidTopologies_StopWithOneMessageNamingTheFlag(string args, string expected) =>
        Assert.Equal(expected, Validate(args, machineGpuCount: 8));

    [Fact]
    public void GpuCount_IsNotCheckedWhereItCannotBeRead() =>
        Assert.Null(Validate("--engine-kind mlc --endpoint-num-gpus 4 8", machineGpuCount: null));

    [Fact]
    public void GpuCount_IsNotCheckedForReferenceEngines() =>
        Assert.Null(Validate("--endpoint-num-gpus 4 8", machineGpuCount: 0));

    private static string? Validate(string args, int? machineGpuCount)
    {
        var read = TopologyReader.Read(args.Split(' ', StringSplitOptions.RemoveEmptyEntries), new ConfigurationBuilder().Build());
        Assert.Null(read.Error);
        return TopologyValidator.Validate(read.Options!.Topology, machineGpuCount);
    }
}
