using System.Globalization;
using MlcAspire.AppHost.Running;

namespace MlcAspire.Tests.EndToEnd.AppHost;

/// <summary>How the runner starts and observes one child: its own process group, and its exit as the end.</summary>
[Trait("Category", "EndToEnd")]
public sealed class ManagedProcessTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Child_LeadsItsOwnSessionAndProcessGroup_SoTheTerminalsCtrlCDoesNotReachIt()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Process groups as read from /proc are Linux's.");
        var cancellationToken = TestContext.Current.CancellationToken;
        using var child = ManagedProcess.Start("child", "sleep", ["600"], new Dictionary<string, string>(), Environment.CurrentDirectory, new ResourceOutput(TextWriter.Null), ownSession: true);
        try
        {
            // The fork runs setsid, which then execs sleep: read the groups once the command is the one running.
            using (var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                bound.CancelAfter(s_bound);
                while (ProcessTree.CommandName(child.Id) != "sleep")
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(10), bound.Token);
                }
            }

            var (group, session) = ProcessTree.GroupAndSession(child.Id);

            Assert.Equal(child.Id, group);
            Assert.Equal(child.Id, session);
            Assert.NotEqual(ProcessTree.GroupAndSession(Environment.ProcessId).Group, group);
        }
        finally
        {
            child.KillTree();
            await child.Completion.WaitAsync(s_bound, cancellationToken);
        }
    }

    [Fact]
    public async Task ChildWhoseDescendantKeepsItsOutputOpen_CompletesAtItsExit_AndTheDescendantIsKilled()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Process groups are POSIX.");
        var cancellationToken = TestContext.Current.CancellationToken;
        var descendant = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);

        // The background sleep inherits the pipes and outlives its shell, as an escaped worker would.
        using var child = ManagedProcess.Start(
            "child", "sh", ["-c", "sleep 600 & echo $!; exit 3"], new Dictionary<string, string>(), Environment.CurrentDirectory,
            new ResourceOutput(TextWriter.Null), ownSession: true, line => descendant.TrySetResult(int.Parse(line, CultureInfo.InvariantCulture)));

        var exitCode = await child.Completion.WaitAsync(s_bound, cancellationToken);
        var descendantId = await descendant.Task.WaitAsync(s_bound, cancellationToken);
        await ProcessTree.WaitForExitAsync(descendantId, cancellationToken).WaitAsync(s_bound, cancellationToken);

        Assert.Equal(3, exitCode);
        Assert.False(ProcessTree.IsAlive(descendantId), $"the descendant {descendantId} outlived its parent's process group");
    }
}
