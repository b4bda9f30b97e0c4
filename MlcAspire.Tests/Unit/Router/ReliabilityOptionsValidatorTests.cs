using MlcAspire.Router;

namespace MlcAspire.Tests.Unit.Router;

[Trait("Category", "Unit")]
public sealed class ReliabilityOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_Succeed() =>
        Assert.True(new ReliabilityOptionsValidator().Validate(null, new ReliabilityOptions()).Succeeded);

    [Theory]
    [InlineData(nameof(ReliabilityOptions.QueueTimeout))]
    [InlineData(nameof(ReliabilityOptions.BreakDuration))]
    [InlineData(nameof(ReliabilityOptions.ProbeInterval))]
    [InlineData(nameof(ReliabilityOptions.ProbeTimeout))]
    [InlineData(nameof(ReliabilityOptions.StuckTimeout))]
    [InlineData(nameof(ReliabilityOptions.DrainTimeout))]
    public void Validate_ZeroOrNegativeTiming_NamesTheKey(string key)
    {
        foreach (var value in (TimeSpan[])[TimeSpan.Zero, TimeSpan.FromSeconds(-1), TimeSpan.FromTicks(1)])
        {
            var options = new ReliabilityOptions();
            typeof(ReliabilityOptions).GetProperty(key)!.SetValue(options, value);

            var result = new ReliabilityOptionsValidator().Validate(null, options);

            Assert.True(result.Failed);
            Assert.Equal($"Router:{key} must be positive (at least 1 ms).", Assert.Single(result.Failures!));
        }
    }

    [Fact]
    public void Validate_TimingLongerThanATimerAccepts_NamesTheKey()
    {
        var options = new ReliabilityOptions { ProbeInterval = TimeSpan.FromDays(60) };

        var result = new ReliabilityOptionsValidator().Validate(null, options);

        Assert.StartsWith("Router:ProbeInterval must be at most 49.", Assert.Single(result.Failures!));
    }

    [Fact]
    public void Validate_ProbeIntervalLongerThanTheStuckTimeout_IsAllowed() =>
        Assert.True(new ReliabilityOptionsValidator().Validate(null, new ReliabilityOptions { ProbeInterval = TimeSpan.FromHours(1) }).Succeeded);
}
