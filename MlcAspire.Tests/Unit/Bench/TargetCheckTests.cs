using MlcAspire.Bench.Reporting;

namespace MlcAspire.Tests.Unit.Bench;

[Trait("Category", "Unit")]
public sealed class TargetCheckTests
{
    [Theory]
    [InlineData("<=", 0.3, 0.2, null, "PASS")]
    [InlineData("<=", 0.3, 0.4, null, "MISS")]
    [InlineData(">=", 0.7, 0.7, null, "PASS")]
    [InlineData("<", 5, 5, null, "MISS")]
    [InlineData("<=", 0.3, -0.1, -0.3, "PASS")]
    [InlineData("<=", 0.3, -2.0, -0.3, "NOISY")]
    public void Status_ComparesMeasuredWithLimitAndFloor(string comparison, double limit, double measured, double? floor, string status)
    {
        var check = new TargetCheck("target", comparison, limit, measured, "ms", floor);

        Assert.Equal(status, check.Status);
        Assert.Equal(status == "PASS", check.Pass);
    }
}
