using MlcAspire.Bench;

namespace MlcAspire.Tests.Unit.Bench;

[Trait("Category", "Unit")]
public sealed class BenchOptionsTests
{
    [Fact]
    public void Parse_AttachArguments_ReadsEnginesAndRouterWithPid()
    {
        var options = BenchOptions.Parse(
            ["overhead", "--engine", "http://127.0.0.1:8080/", "--engine", "http://127.0.0.1:8081/",
             "--router", "router-rr=http://127.0.0.1:8000/,4242", "--scale", "0.5", "--json", "out.json"], TextWriter.Null);

        Assert.NotNull(options);
        Assert.Equal("overhead", options.Preset);
        Assert.Equal(2, options.Engines.Count);
        Assert.Equal((new Uri("http://127.0.0.1:8000/"), (int?)4242), options.Routers["router-rr"]);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Seconds(10));
        Assert.Equal("out.json", options.JsonPath);
    }

    [Theory]
    [InlineData("--scale", "0")]
    [InlineData("--streams", "many")]
    [InlineData("--router", "http://127.0.0.1:8000/")]
    [InlineData("--unknown", "1")]
    public void Parse_InvalidOption_ReturnsNullAndSaysWhy(string option, string value)
    {
        var error = new StringWriter();

        var options = BenchOptions.Parse(["smoke", option, value], error);

        Assert.Null(options);
        Assert.Contains(option, error.ToString());
    }

    [Fact]
    public void Parse_NoPreset_PrintsUsage()
    {
        var error = new StringWriter();

        Assert.Null(BenchOptions.Parse([], error));
        Assert.Contains("Presets:", error.ToString());
    }
}
