extern alias ReferenceEngine;

using MlcAspire.Models;
using ReferenceEngine::MlcAspire.ReferenceEngine.Cli;
using ReferenceEngine::MlcAspire.ReferenceEngine.KvCache;
using ReferenceEngine::MlcAspire.ReferenceEngine.Model;
using ReferenceEngine::MlcAspire.ReferenceEngine.Serving;

namespace MlcAspire.Tests.Unit.ReferenceEngine;

[Trait("Category", "Unit")]
public sealed class EngineLimitsTests
{
    private const long SixteenGiB = 16L << 30;

    private static readonly MlcChatConfig Config = MlcModel.LoadConfig(RepositoryPaths.ReferenceTinyModel);
    private static readonly ModelShape Shape = ModelShape.FromModelConfig(Config.ModelConfig, Config.VocabSize);

    [Fact]
    public void Resolve_TheFixturesCapacity_IsPagesOfTheOverride()
    {
        var limits = EngineLimits.Resolve(Options("server", "max_num_sequence=8;max_total_seq_length=8192"), Config, Shape, SixteenGiB);

        Assert.Equal((8192 / PagedKvCache.PageSize, 8, 4096), (limits.KvPages, limits.MaxNumSequence, limits.MaxSequenceLength));
    }

    [Theory]
    [InlineData("server", "max_total_seq_length=2147483647", "max_total_seq_length")]
    [InlineData("server", "max_total_seq_length=100000000", "max_total_seq_length")]
    [InlineData("local", "context_window_size=100000000;max_num_sequence=100", "context_window_size")]
    [InlineData("local", "max_num_sequence=2000000000", "max_num_sequence")]
    [InlineData("server", "context_window_size=2000000000", "context_window_size")]
    public void Resolve_ACapacityThatCannotBeAllocated_IsAUsageErrorNamingTheKey(string mode, string overrides, string key)
    {
        var error = Assert.Throws<CommandLineException>(() => EngineLimits.Resolve(Options(mode, overrides), Config, Shape, SixteenGiB));

        Assert.StartsWith($"argument --overrides {key}: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_ACacheThatFitsAnArrayButNotTheMemory_IsRefused()
    {
        var options = Options("server", "max_total_seq_length=1000000");

        Assert.Equal(62500, EngineLimits.Resolve(options, Config, Shape, SixteenGiB).KvPages);
        var error = Assert.Throws<CommandLineException>(() => EngineLimits.Resolve(options, Config, Shape, availableBytes: 512L << 20));
        Assert.Contains("max_total_seq_length", error.Message, StringComparison.Ordinal);
    }

    private static EngineOptions Options(string mode, string overrides) =>
        new() { Model = RepositoryPaths.ReferenceTinyModel, Mode = mode, Overrides = EngineCommandLine.ParseOverrides(overrides) };
}
