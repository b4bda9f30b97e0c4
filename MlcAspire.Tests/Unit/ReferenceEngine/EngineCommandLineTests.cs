extern alias ReferenceEngine;

using ReferenceEngine::MlcAspire.ReferenceEngine.Cli;

namespace MlcAspire.Tests.Unit.ReferenceEngine;

[Trait("Category", "Unit")]
public sealed class EngineCommandLineTests
{
    [Fact]
    public void Parse_ModelOnly_HasMlcServeDefaults()
    {
        var options = EngineCommandLine.Parse(["models/x"]);

        Assert.Equal("models/x", options.Model);
        Assert.Equal(("auto", "local", "radix", "disable", "hybrid"), (options.Device, options.Mode, options.PrefixCacheMode, options.SpeculativeMode, options.PrefillMode));
        Assert.Equal(("127.0.0.1", 8000), (options.Host, options.Port));
        Assert.False(options.EnableDebug);
        Assert.Equal(["*"], options.AllowOrigins);
    }

    [Fact]
    public void Parse_TheAppHostCommandLine_ReadsEveryFlag()
    {
        var options = EngineCommandLine.Parse(["m", "--device", "cuda:4", "--enable-debug", "--mode", "server", "--speculative-mode", "disable",
            "--prefix-cache-mode", "disable", "--overrides", "gpu_memory_utilization=0.8;spec_draft_length=0;tensor_parallel_shards=2;max_total_seq_length=512",
            "--enable-debug", "--host", "0.0.0.0", "--port=9000", "--allow-origins", "[\"http://a\"]"]);

        Assert.Equal(("cuda:4", "server", "disable", true), (options.Device, options.Mode, options.PrefixCacheMode, options.EnableDebug));
        Assert.Equal((0.8, 0, 2, 512), (options.Overrides.GpuMemoryUtilization, options.Overrides.SpecDraftLength, options.Overrides.TensorParallelShards, options.Overrides.MaxTotalSeqLength));
        Assert.Equal(("0.0.0.0", 9000), (options.Host, options.Port));
        Assert.Equal(["http://a"], options.AllowOrigins);
    }

    [Theory]
    [InlineData("max_num_sequence=2;bogus=1", "bogus")]
    [InlineData("max_num_sequence=two", "max_num_sequence")]
    [InlineData("gpu_memory_utilization=high", "gpu_memory_utilization")]
    [InlineData("prefix_cache_mode=lru", "prefix_cache_mode")]
    [InlineData("justakey", "justakey")]
    public void ParseOverrides_BadKeyOrValue_NamesIt(string overrides, string named)
    {
        var error = Assert.Throws<CommandLineException>(() => EngineCommandLine.ParseOverrides(overrides));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NoModel_IsAUsageError()
    {
        Assert.Contains("model", Assert.Throws<CommandLineException>(() => EngineCommandLine.Parse(["--enable-debug"])).Message, StringComparison.Ordinal);
    }
}
