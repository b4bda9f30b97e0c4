using System.Diagnostics;
using MlcAspire.Bench.Measurement;

namespace MlcAspire.Tests.Unit.Bench;

[Trait("Category", "Unit")]
public sealed class ChunkDeliveryTests
{
    private static readonly long Ms = Stopwatch.Frequency / 1000;

    [Fact]
    public void Join_PairsEventsByIdAndSequence_AndCountsTheUnpaired()
    {
        var sent = new Dictionary<string, long[]>
        {
            ["a"] = [100 * Ms, 200 * Ms, 300 * Ms],
            ["b"] = [1000 * Ms, ChunkDelivery.Missing],
        };
        StreamReceipt[] receipts =
        [
            new("a", [101 * Ms, 202 * Ms, 303 * Ms]),
            // b's second event has no record, its third is past the engine's last one, and c was never logged.
            new("b", [1004 * Ms, 1005 * Ms, 1006 * Ms]),
            new("c", [5 * Ms]),
        ];

        var result = ChunkDelivery.Join(receipts, sent);

        Assert.Equal(4, result.LatencyMs.Count);
        Assert.Equal(3, result.Unpaired);
        Assert.Equal(2, result.LatencyMs.P50);
        Assert.Equal(4, result.LatencyMs.Max);
        Assert.Equal(2.5, result.LatencyMs.Mean);
    }

    [Fact]
    public void Join_ClientStampBeforeEngineStamp_KeepsTheNegativeLatency()
    {
        // The engine stamps after its flush returns, which can be a moment after the client read the bytes: such
        // events are kept as they are, so that the distribution is not biased upwards.
        var result = ChunkDelivery.Join([new StreamReceipt("a", [10 * Ms])], new Dictionary<string, long[]> { ["a"] = [11 * Ms] });

        Assert.Equal(-1, result.LatencyMs.P50);
        Assert.Equal(0, result.Unpaired);
    }

    [Fact]
    public void Join_NoReceipts_IsEmpty()
    {
        var result = ChunkDelivery.Join([], new Dictionary<string, long[]>());

        Assert.Equal(0, result.LatencyMs.Count);
        Assert.Equal(0, result.Unpaired);
    }

    [Fact]
    public void Covers_TrueOnlyWhenEveryReceivedEventHasARecord()
    {
        StreamReceipt[] receipts = [new("a", [1, 2]), new("b", [3])];

        Assert.True(ChunkDelivery.Covers(receipts, new Dictionary<string, long[]> { ["a"] = [1, 2, 3], ["b"] = [3] }));
        Assert.False(ChunkDelivery.Covers(receipts, new Dictionary<string, long[]> { ["a"] = [1, ChunkDelivery.Missing], ["b"] = [3] }));
        Assert.False(ChunkDelivery.Covers(receipts, new Dictionary<string, long[]> { ["a"] = [1], ["b"] = [3] }));
        Assert.False(ChunkDelivery.Covers(receipts, new Dictionary<string, long[]> { ["a"] = [1, 2] }));
    }
}
