using MlcAspire.Models;

namespace MlcAspire.Tests.Unit.Models;

[Trait("Category", "Unit")]
public sealed class MlcModelTests
{
    [Fact]
    public void Load_ReferenceTiny_ReadsConfig()
    {
        var model = MlcModel.Load(RepositoryPaths.ReferenceTinyModel);

        Assert.Equal("reference-tiny", model.Config.ModelType);
        Assert.Equal(1026, model.Config.VocabSize);
        Assert.Equal(4096, model.Config.ContextWindowSize);
        Assert.Equal([1022], model.Config.EosTokenIds);
        Assert.Equal(1023, model.Config.BosTokenId);
        Assert.Equal(20250114, model.Config.ModelConfig.GetProperty("seed").GetInt32());
    }

    [Theory]
    [InlineData("The router hands every request from a prefill engine to a decode engine.")]
    [InlineData("  leading spaces, tabs\tand\nnew lines  ")]
    [InlineData("Ünïcödé — 漢字 and emoji 🚀 survive byte-level BPE")]
    [InlineData("")]
    public void Tokenizer_RoundTripsText(string text)
    {
        var tokenizer = MlcModel.Load(RepositoryPaths.ReferenceTinyModel).Tokenizer;

        var ids = tokenizer.EncodeToIds(text);

        Assert.All(ids, id => Assert.InRange(id, 0, 1021));
        Assert.Equal(text, tokenizer.Decode(ids));
    }

    [Fact]
    public void Tokenizer_AppliesMerges()
    {
        var tokenizer = MlcModel.Load(RepositoryPaths.ReferenceTinyModel).Tokenizer;

        var ids = tokenizer.EncodeToIds(" the engine");

        // Byte-level BPE with the trained merges needs far fewer tokens than bytes for common English.
        Assert.InRange(ids.Count, 1, 6);
    }

    [Fact]
    public void Tokenizer_EncodesSpecialTokensAsOneId()
    {
        var tokenizer = MlcModel.Load(RepositoryPaths.ReferenceTinyModel).Tokenizer;

        Assert.Equal([1022], tokenizer.EncodeToIds("<|endoftext|>"));
    }

    [Fact]
    public void Load_DirectoryWithoutConfig_NamesTheFile()
    {
        var directory = Directory.CreateTempSubdirectory("mlc-model-");
        try
        {
            var error = Assert.Throws<InvalidDataException>(() => MlcModel.Load(directory.FullName));

            Assert.Contains(MlcModel.ConfigFileName, error.Message);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
