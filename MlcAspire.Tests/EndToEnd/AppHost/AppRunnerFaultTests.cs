using MlcAspire.AppHost.Running;

namespace MlcAspire.Tests.EndToEnd.AppHost;

/// <summary>Each test breaks its own deployment, so none shares processes.</summary>
[Trait("Category", "EndToEnd")]
public sealed class AppRunnerFaultTests
{
    [Fact]
    public async Task KilledEngine_IsReportedFailed_AndDisposeLeavesNoProcess()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var app = TestingApp.Create("--endpoint-ports", "1", "2", "3");
        IReadOnlyList<int> processIds;
        await using (app)
        {
            await app.StartAsync(cancellationToken).WaitAsync(TestingApp.DefaultTimeout, cancellationToken);
            await app.WaitForResourceHealthyAsync("router", cancellationToken).WaitAsync(TestingApp.PhaseTimeout, cancellationToken);
            processIds = [.. app.Resources.Select(r => r.ProcessId!.Value)];

            var killed = await app.KillResourceAsync("engine-2", cancellationToken).WaitAsync(TestingApp.PhaseTimeout, cancellationToken);

            Assert.Equal(ResourceState.Failed, killed.State);
            Assert.NotEqual(0, killed.ExitCode);
            Assert.False(ProcessTree.IsAlive(killed.ProcessId!.Value));
            Assert.Equal(ResourceState.Running, app.GetResource("engine-1").State);
            Assert.Equal(ResourceState.Running, app.GetResource("router").State);
        }

        Assert.All(app.Resources.Where(r => r.Name != "engine-2"), r => Assert.Equal(ResourceState.Stopped, r.State));
        Assert.All(processIds, pid => Assert.False(ProcessTree.IsAlive(pid), $"process {pid} outlived the deployment"));
    }

    [Fact]
    public async Task EngineThatCannotStart_FailsStartupNamingIt_AndLeavesNoProcess()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var app = TestingApp.Create("models/does-not-exist", "--router-mode", "round-robin");
        await using (app)
        {
            var error = await Assert.ThrowsAsync<ResourceStartException>(
                () => app.StartAsync(cancellationToken).WaitAsync(TestingApp.DefaultTimeout, cancellationToken));

            Assert.StartsWith("engine-", error.Message, StringComparison.Ordinal);
            Assert.Equal(ResourceState.NotStarted, app.GetResource("router").State);
        }

        Assert.All(app.Resources.Where(r => r.ProcessId is not null), r => Assert.False(ProcessTree.IsAlive(r.ProcessId!.Value)));
    }
}
