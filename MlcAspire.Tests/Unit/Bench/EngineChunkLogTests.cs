using System.Diagnostics;
using System.Globalization;
using MlcAspire.Bench.Measurement;

namespace MlcAspire.Tests.Unit.Bench;

[Trait("Category", "Unit")]
public sealed class EngineChunkLogTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"mlcaspire-chunk-times-{Guid.NewGuid():N}");

    private static string Header => string.Create(CultureInfo.InvariantCulture, $"# id seq timestamp; stopwatch-frequency {Stopwatch.Frequency}\n");

    [Fact]
    public void ReadNew_KeepsWantedIdsBySequence_AndLeavesAnUnfinishedLineForTheNextRead()
    {
        File.WriteAllText(_path, Header + "cmpl-1 0 100\nother 0 5\nuser with spaces 1 220\ncmpl-1 1 110\ncmpl-1 2 1");
        var log = new EngineChunkLog(_path);
        var wanted = new HashSet<string> { "cmpl-1", "user with spaces" };
        var sent = new Dictionary<string, long[]>();

        log.ReadNew(wanted, sent);

        Assert.Equal([100, 110], sent["cmpl-1"][..2]);
        Assert.Equal(ChunkDelivery.Missing, sent["user with spaces"][0]);
        Assert.Equal(220, sent["user with spaces"][1]);
        Assert.False(sent.ContainsKey("other"));
        Assert.False(ChunkDelivery.Covers([new StreamReceipt("cmpl-1", [0, 0, 0])], sent));

        File.AppendAllText(_path, "20\n");
        log.ReadNew(wanted, sent);

        Assert.Equal(120, sent["cmpl-1"][2]);
        Assert.True(ChunkDelivery.Covers([new StreamReceipt("cmpl-1", [0, 0, 0])], sent));
    }

    [Fact]
    public void ReadNew_EngineClockOfAnotherFrequency_Throws()
    {
        File.WriteAllText(_path, $"# id seq timestamp; stopwatch-frequency {Stopwatch.Frequency + 1}\n");

        Assert.Throws<InvalidDataException>(() => new EngineChunkLog(_path).ReadNew(new HashSet<string>(), []));
    }

    [Fact]
    public void ReadNew_NoFileYet_ReadsNothing()
    {
        var sent = new Dictionary<string, long[]>();

        new EngineChunkLog(_path).ReadNew(new HashSet<string> { "a" }, sent);

        Assert.Empty(sent);
    }

    public void Dispose() => File.Delete(_path);
}
