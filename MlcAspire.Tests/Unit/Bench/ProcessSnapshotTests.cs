using MlcAspire.Bench.Measurement;

namespace MlcAspire.Tests.Unit.Bench;

[Trait("Category", "Unit")]
public sealed class ProcessSnapshotTests
{
    [Fact]
    public void TryRead_OwnProcess_ReadsCpuAndMemoryFromProc()
    {
        var snapshot = ProcessSnapshot.TryRead(Environment.ProcessId);

        Assert.NotNull(snapshot);
        Assert.True(snapshot.Value.CpuSeconds > 0);
        Assert.True(snapshot.Value.RssBytes > 1 << 20);
        Assert.True(snapshot.Value.PeakRssBytes >= snapshot.Value.RssBytes);
    }

    [Fact]
    public void TryRead_ProcessThatDoesNotExist_IsNull()
    {
        Assert.Null(ProcessSnapshot.TryRead(int.MaxValue));
    }
}
