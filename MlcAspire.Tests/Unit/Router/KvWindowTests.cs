using MlcAspire.Router.Scheduling;

namespace MlcAspire.Tests.Unit.Router;

[Trait("Category", "Unit")]
public sealed class KvWindowTests
{
    [Theory]
    [InlineData(0.0, 3000, -1)]
    [InlineData(0.000001, 3000, -1)]
    [InlineData(0.1, 3000, 2700)]
    [InlineData(0.5, 7, 3)]
    [InlineData(0.1, 1, 0)]
    [InlineData(0.99, 10, 0)]
    public void ComputeEnd_FollowsMlc_AndAlwaysLeavesTheDecodeEngineAToken(double factor, int length, int expected)
    {
        var end = KvWindow.ComputeEnd(factor, length);

        Assert.Equal(expected, end);
        Assert.Null(KvWindow.CheckPrepRecv(end, length));
    }

    [Theory]
    [InlineData(5, 5)]
    [InlineData(-6, 5)]
    [InlineData(-1, 0)]
    public void CheckPrepRecv_RejectsWindowsOutsideThePrompt(int end, int length)
    {
        Assert.NotNull(KvWindow.CheckPrepRecv(end, length));
    }

    [Fact]
    public void CheckPrepRecvAnswer_AcceptsMetadataThatCoversTheRestOfTheWindow()
    {
        var metadata = new KvAppendMetadata([(4096, 480), (8192, 19)]);

        Assert.Null(KvWindow.CheckPrepRecvAnswer(500, 1, metadata));
        Assert.NotNull(KvWindow.CheckPrepRecvAnswer(500, 0, metadata));
        Assert.NotNull(KvWindow.CheckPrepRecvAnswer(500, 501, new KvAppendMetadata([])));
    }

    [Theory]
    [InlineData(0, 9, true)]
    [InlineData(9, 9, false)]
    [InlineData(0, 0, false)]
    public void NeedsRemoteSend_OnlyWhenTheMatchedPrefixFallsShortOfTheEnd(int matched, int end, bool expected) =>
        Assert.Equal(expected, KvWindow.NeedsRemoteSend(matched, end));
}
