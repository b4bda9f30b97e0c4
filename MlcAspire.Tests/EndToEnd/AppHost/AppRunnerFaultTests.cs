using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using MlcAspire.AppHost.Planning;
using MlcAspire.AppHost.Running;
using static MlcAspire.Tests.EndToEnd.Reliability.ReliabilityCalls;

namespace MlcAspire.Tests.EndToEnd.AppHost;

/// <summary>Each test breaks its own deployment, so none shares processes.</summary>
[Trait("Category", "EndToEnd")]
public sealed class AppRunnerFaultTests
{
    [Fact]
    public async Task KilledEngine_IsReportedFailed_AvoidedByTheRouter_AndDisposeLeavesNoProcess()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var app = TestingApp.Create(
            new Dictionary<string, IReadOnlyDictionary<string, string>>
            {
                // A short probe finds the dead engine at once; a long break keeps its circuit open for the whole test.
                ["router"] = new Dictionary<string, string> { ["Router__ProbeInterval"] = "00:00:00.2", ["Router__BreakDuration"] = "00:10:00" },
            },
            "--endpoint-ports", "1", "2", "3");
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

            using var router = app.CreateHttpClient("router");
            await AssertAvoidedAsync(router, "engine-2", requests: 4, cancellationToken);
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

    [Fact]
    public async Task EngineExitingDuringStartup_FailsTheStartAtOnceNamingIt_WithoutWaitingForTheOthersDeadline()
    {
        // In disagg mode engine-0 cannot get ready without engine-1 (NVSHMEM init is collective), so without fail-fast
        // the start would wait out the phase deadline and report engine-0.
        var cancellationToken = TestContext.Current.CancellationToken;
        var app = TestingApp.Create(new Dictionary<string, IReadOnlyList<string>> { ["engine-1"] = ["--no-such-flag"] });
        await using (app)
        {
            var error = await Assert.ThrowsAsync<ResourceStartException>(
                () => app.StartAsync(cancellationToken).WaitAsync(TestingApp.PhaseTimeout / 2, cancellationToken));

            Assert.StartsWith("engine-1 exited with code 2 before it was ready", error.Message, StringComparison.Ordinal);
            Assert.Contains("--no-such-flag", error.Message, StringComparison.Ordinal);
            Assert.Equal(ResourceState.Failed, app.GetResource("engine-1").State);
            Assert.Equal(ResourceState.Stopped, app.GetResource("engine-0").State);
            Assert.Equal(ResourceState.NotStarted, app.GetResource("router").State);
            Assert.False(ProcessTree.IsAlive(app.GetResource("engine-0").ProcessId!.Value));
        }
    }

    [Fact]
    public async Task NvshmemHelperMissingItsDeadline_FailsTheStartWithAResourceStartException_AndIsKilled()
    {
        var cancellationToken = TestContext.Current.CancellationToken;

        // A helper that never prints a uid; it tells its pid on stderr, which the failure quotes as its last output.
        var plan = TestingApp.Create().Plan with { NvshmemHelper = new NvshmemHelperPlan("sh", ["-c", "echo $$ >&2; exec sleep 600"]) };
        await using var runner = new AppRunner(
            plan, new RunnerOptions { PhaseTimeout = TimeSpan.FromSeconds(2) }, new ResourceOutput(TextWriter.Null),
            ProgramPaths.FromBuild().AppHostDll, NullLogger<AppRunner>.Instance);

        var error = await Assert.ThrowsAsync<ResourceStartException>(
            () => runner.StartAsync(cancellationToken).WaitAsync(TestingApp.PhaseTimeout, cancellationToken));

        Assert.StartsWith($"{NvshmemHelperPlan.Name} printed no NVSHMEM uid within 2 s", error.Message, StringComparison.Ordinal);
        var helperId = int.Parse(error.Message.Split(Environment.NewLine)[^1], CultureInfo.InvariantCulture);
        Assert.False(ProcessTree.IsAlive(helperId), $"the helper {helperId} outlived the failed start");
        Assert.Equal(
            [new ResourceStateChange(NvshmemHelperPlan.Name, ResourceState.Stopping), new ResourceStateChange(NvshmemHelperPlan.Name, ResourceState.Stopped)],
            runner.History);
        Assert.All(runner.Snapshots, r => Assert.Equal(ResourceState.NotStarted, r.State));
    }
}
