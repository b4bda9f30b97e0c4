using MlcAspire.Contracts;
using MlcAspire.Router;

namespace MlcAspire.Tests.Unit.Router;

[Trait("Category", "Unit")]
public sealed class RouterOptionsValidatorTests
{
    [Fact]
    public void Validate_DisaggWithoutAPrefillEngine_NamesTheKey()
    {
        var result = new RouterOptionsValidator().Validate(null, Options(RouterMode.Disagg, EngineRole.Decode, EngineRole.Decode));

        Assert.True(result.Failed);
        Assert.Contains("Router:Engines needs at least one engine with Role Prefill or Both", result.FailureMessage);
    }

    [Fact]
    public void Validate_DisaggWithOneEngine_Fails()
    {
        var result = new RouterOptionsValidator().Validate(null, Options(RouterMode.Disagg, EngineRole.Both));

        Assert.Contains("at least two engines", result.FailureMessage);
    }

    [Fact]
    public void Validate_DuplicateNamesAndZeroTimeouts_NameTheirKeys()
    {
        var options = Options(RouterMode.RoundRobin, EngineRole.Both, EngineRole.Both);
        options.Engines[1].Name = "engine-0";
        options.IdleTimeout = TimeSpan.Zero;

        var result = new RouterOptionsValidator().Validate(null, options);

        Assert.Contains("Router:Engines:1:Name 'engine-0' is listed twice.", result.FailureMessage);
        Assert.Contains("Router:IdleTimeout must be positive (at least 1 ms).", result.FailureMessage);
    }

    [Fact]
    public void Validate_DisaggWithoutAModelDirectory_NamesRouterModel()
    {
        var options = Options(RouterMode.Disagg, EngineRole.Prefill, EngineRole.Decode);
        options.Model = "/nowhere/model";

        Assert.Contains("Router:Model '/nowhere/model' must be a model directory", new RouterOptionsValidator().Validate(null, options).FailureMessage);
    }

    [Fact]
    public void Validate_OnePrefillOneDecode_Succeeds() =>
        Assert.True(new RouterOptionsValidator().Validate(null, Options(RouterMode.Disagg, EngineRole.Prefill, EngineRole.Decode)).Succeeded);

    private static RouterOptions Options(RouterMode mode, params EngineRole[] roles) => new()
    {
        Mode = mode,
        Model = RepositoryPaths.ReferenceTinyModel,
        Engines = [.. roles.Select((role, i) => new EngineConfig { Name = $"engine-{i}", Role = role })],
    };
}
