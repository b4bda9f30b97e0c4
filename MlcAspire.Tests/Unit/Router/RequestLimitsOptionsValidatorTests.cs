using Microsoft.Extensions.Options;
using MlcAspire.Router;

namespace MlcAspire.Tests.Unit.Router;

[Trait("Category", "Unit")]
public sealed class RequestLimitsOptionsValidatorTests
{
    [Fact]
    public void Defaults_Pass()
    {
        var result = Validator(new RouterOptions()).Validate(null, new RequestLimitsOptions());

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void InFlightBodyBudgetBelowTheBodyLimit_FailsNamingBothKeys()
    {
        var result = Validator(new RouterOptions { MaxRequestBodyBytes = 8192 }).Validate(null, new RequestLimitsOptions { MaxInFlightBodyBytes = 8191 });

        Assert.True(result.Failed);
        Assert.Contains("Router:Limits:MaxInFlightBodyBytes", result.FailureMessage);
        Assert.Contains("Router:MaxRequestBodyBytes", result.FailureMessage);
    }

    [Fact]
    public void BodyReadTimeoutOutsideTheTimerRange_FailsNamingTheKey()
    {
        var result = Validator(new RouterOptions()).Validate(null, new RequestLimitsOptions { BodyReadTimeout = TimeSpan.Zero });

        Assert.True(result.Failed);
        Assert.Contains("Router:Limits:BodyReadTimeout", result.FailureMessage);
    }

    private static RequestLimitsOptionsValidator Validator(RouterOptions router) => new(Options.Create(router));
}
