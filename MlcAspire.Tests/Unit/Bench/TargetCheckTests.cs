using MlcAspire.Bench.Reporting;

namespace MlcAspire.Tests.Unit.Bench;

[Trait("Category", "Unit")]
public sealed class TargetCheckTests
{
    [Theory]
    [InlineData("<=", 0.3, 0.2, null, "MET")]
    [InlineData("<=", 0.3, 0.4, null, "MISSED")]
    [InlineData(">=", 0.7, 0.7, null, "MET")]
    [InlineData("<", 5, 5, null, "MISSED")]
    [InlineData("<=", 0.3, -0.1, -0.3, "MET")]
    [InlineData("<=", 0.3, -2.0, -0.3, "NOISY")]
    [InlineData("<=", 1.0, double.NaN, null, "NOISY")]
    public void Status_ComparesMeasuredWithLimitAndFloor(string comparison, double limit, double measured, double? floor, string status)
    {
        var check = new TargetCheck("target", comparison, limit, measured, "ms", floor);

        Assert.Equal(status, check.Status);
        Assert.Equal(status == "MET", check.Met);
    }

    [Fact]
    public void AddRatioCheck_BothSidesMeasured_ChecksTheirRatioAndNamesBoth()
    {
        var report = new ReportBuilder();

        report.AddRatioCheck("router / nginx", "<=", 1.5, ("router", 0.6), ("nginx", 0.4), "ms");

        var check = Assert.Single(report.Checks);
        Assert.Equal(1.5, check.Measured, 9);
        Assert.Equal("MET", check.Status);
        Assert.Equal("router 0.600 ms / nginx 0.400 ms", check.Detail);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.2)]
    public void AddRatioCheck_BaselineNotAboveZero_IsNoisyNotAPassOrAMiss(double nginx)
    {
        var report = new ReportBuilder();

        report.AddRatioCheck("router / nginx", "<=", 1.0, ("router", 0.3), ("nginx", nginx), "ms");

        Assert.Equal("NOISY", Assert.Single(report.Checks).Status);
    }

    [Fact]
    public void AddRatioCheck_SideNotMeasured_AddsANoteInstead()
    {
        var report = new ReportBuilder();

        report.AddRatioCheck("router / nginx", "<=", 1.0, ("router", 0.3), ("nginx", null), "ms");

        Assert.Empty(report.Checks);
        Assert.Contains(report.Notes, n => n.Contains("router / nginx", StringComparison.Ordinal));
    }
}
