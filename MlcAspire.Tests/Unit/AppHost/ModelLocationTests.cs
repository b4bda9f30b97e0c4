using MlcAspire.AppHost;

namespace MlcAspire.Tests.Unit.AppHost;

[Trait("Category", "Unit")]
public sealed class ModelLocationTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("mlcaspire-").FullName;

    [Fact]
    public void ModelUnderTheCurrentDirectory_StartsProcessesThere()
    {
        var current = Directory.CreateDirectory(Path.Combine(_root, "current")).FullName;
        Directory.CreateDirectory(Path.Combine(current, "models", "m"));

        Assert.Equal(current, ModelLocation.WorkingDirectory("models/m", current, Path.Combine(_root, "repo")));
    }

    [Fact]
    public void ModelOnlyUnderTheRepository_StartsProcessesInTheRepository()
    {
        var current = Directory.CreateDirectory(Path.Combine(_root, "elsewhere")).FullName;
        var repository = Directory.CreateDirectory(Path.Combine(_root, "repo")).FullName;
        Directory.CreateDirectory(Path.Combine(repository, "models", "m"));

        Assert.Equal(repository, ModelLocation.WorkingDirectory("models/m", current, repository));
    }

    [Fact]
    public void ModelFoundNowhere_StaysInTheCurrentDirectory_ForTheEngineToReport()
    {
        var current = Directory.CreateDirectory(Path.Combine(_root, "current")).FullName;

        Assert.Equal(current, ModelLocation.WorkingDirectory("HF://mlc-ai/model", current, Path.Combine(_root, "repo")));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
