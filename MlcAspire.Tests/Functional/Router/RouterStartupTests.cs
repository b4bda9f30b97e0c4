using Microsoft.Extensions.Options;

namespace MlcAspire.Tests.Functional.Router;

[Trait("Category", "Functional")]
public sealed class RouterStartupTests
{
    [Theory]
    [InlineData("Router:PdBalanceFactor", "1", "PdBalanceFactor")]
    [InlineData("Router:Engines:0:Name", "Engine_0", "Router:Engines:0:Name 'Engine_0' must be a kebab-case resource name")]
    [InlineData("Router:Engines:0:Role", "Decode", "Router:Engines needs at least one engine with Role Prefill or Both")]
    [InlineData("Router:Model", "/no/such/model", "Router:Model '/no/such/model' must be a model directory")]
    public async Task InvalidOptions_StopTheRouterAtStart_WithAMessageNamingTheKey(string key, string value, string expected)
    {
        await using var engine = await FakeEngine.StartAsync(TestContext.Current.CancellationToken);
        var settings = RouterFactory.Settings("disagg", [("Prefill", engine), ("Decode", engine)]);
        settings[key] = value;
        await using var router = new RouterFactory(settings);

        var error = Assert.Throws<OptionsValidationException>(() => router.CreateClient());

        Assert.Contains(expected, error.Message);
    }
}
