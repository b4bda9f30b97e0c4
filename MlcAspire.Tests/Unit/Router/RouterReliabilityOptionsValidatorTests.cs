using MlcAspire.Router;

namespace MlcAspire.Tests.Unit.Router;

[Trait("Category", "Unit")]
public sealed class RouterReliabilityOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_Succeed() =>
        Assert.True(new RouterReliabilityOptionsValidator().Validate(null, new RouterReliabilityOptions()).Succeeded);

    [Theory]
    [InlineData(nameof(RouterReliabilityOptions.QueueTimeout))]
    [InlineData(nameof(RouterReliabilityOptions.BreakDuration))]
    [InlineData(nameof(RouterReliabilityOptions.ProbeInterval))]
    [InlineData(nameof(RouterReliabilityOptions.ProbeTimeout))]
    [InlineData(nameof(RouterReliabilityOptions.StuckTimeout))]
    [InlineData(nameof(RouterReliabilityOptions.DrainTimeout))]
    public void Validate_ZeroOrNegativeTiming_NamesTheKey(string key)
    {
        foreach (var value in (TimeSpan[])[TimeSpan.Zero, TimeSpan.FromSeconds(-1), TimeSpan.FromTicks(1)])
        {
            var options = new RouterReliabilityOptions();
            typeof(RouterReliabilityOptions).GetProperty(key)!.SetValue(options, value);

            var result = new RouterReliabilityOptionsValidator().Validate(null, options);

            Assert.True(result.Failed);
            Assert.Equal($"Router:{key} must be positive (at least 1 ms).", Assert.Single(result.Failures!));
        }
    }

    [Fact]
    public void Validate_TimingLongerThanATimerAccepts_NamesTheKey()
    {
        var options = new RouterReliabilityOptions { ProbeInterval = TimeSpan.FromDays(60) };

        var result = new RouterReliabilityOptionsValidator().Validate(null, options);

        Assert.StartsWith("Router:ProbeInterval must be at most 49.", Assert.Single(result.Failures!));
    }

    [Fact]
    public void Validate_ProbeIntervalLongerThanTheStuckTimeout_IsAllowed() =>
        Assert.True(new RouterReliabilityOptionsValidator().Validate(null, new RouterReliabilityOptions { ProbeInterval = TimeSpan.FromHours(1) }).Succeeded);
}
