using MlcAspire.Bench.Measurement;

namespace MlcAspire.Tests.Unit.Bench;

[Trait("Category", "Unit")]
public sealed class ProcessSnapshotTests
{
    [Fact]
    public void TryRead_OwnProcess_ReadsCpuMemoryAndContextSwitchesFromProc()
    {
        var snapshot = ProcessSnapshot.TryRead(Environment.ProcessId);

        Assert.NotNull(snapshot);
        Assert.True(snapshot.Value.CpuSeconds > 0);
        Assert.True(snapshot.Value.RssBytes > 1 << 20);
        Assert.True(snapshot.Value.PeakRssBytes >= snapshot.Value.RssBytes);
        Assert.True(snapshot.Value.ContextSwitches > 0);
    }

    [Fact]
    public void TryRead_ProcessThatDoesNotExist_IsNull()
    {
        Assert.Null(ProcessSnapshot.TryRead(int.MaxValue));
    }

    [Fact]
    public void CpuClock_OwnProcess_CountsWorkFinerThanProcTicks()
    {
        var before = ProcessCpuClock.TryReadSeconds(Environment.ProcessId);
        // A few hundred microseconds of work: under /proc/<pid>/stat's 10 ms tick, which would mostly read no change.
        var spun = 0UL;
        for (var i = 0UL; i < 1_000_000; i++)
        {
            spun = (spun * 6364136223846793005) + i;
        }

        var after = ProcessCpuClock.TryReadSeconds(Environment.ProcessId);

        Assert.NotNull(before);
        Assert.True(after > before, $"{before} -> {after} after {spun} spins");
    }

    [Fact]
    public void CpuClock_ProcessThatDoesNotExist_IsNull()
    {
        Assert.Null(ProcessCpuClock.TryReadSeconds(int.MaxValue));
    }
}
