using MlcAspire.Bench.Measurement;

namespace MlcAspire.Tests.Unit.Bench;

[Trait("Category", "Unit")]
public sealed class DistributionTests
{
    [Fact]
    public void Of_HundredValues_GivesNearestRankPercentiles()
    {
        var values = Enumerable.Range(1, 100).Select(i => (double)(101 - i)).ToArray();

        var distribution = Distribution.Of(values);

        Assert.Equal(100, distribution.Count);
        Assert.Equal(50.5, distribution.Mean);
        Assert.Equal(50, distribution.P50);
        Assert.Equal(90, distribution.P90);
        Assert.Equal(99, distribution.P99);
        Assert.Equal(100, distribution.Max);
    }

    [Fact]
    public void Of_SingleValue_IsEveryPercentile()
    {
        var distribution = Distribution.Of([7.5]);

        Assert.Equal([7.5, 7.5, 7.5, 7.5], [distribution.P50, distribution.P90, distribution.P99, distribution.Max]);
    }

    [Fact]
    public void Of_NoValues_IsNaN()
    {
        var distribution = Distribution.Of([]);

        Assert.Equal(0, distribution.Count);
        Assert.True(double.IsNaN(distribution.P50));
    }
}
