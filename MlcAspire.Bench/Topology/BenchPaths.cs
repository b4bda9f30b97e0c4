namespace MlcAspire.Bench.Topology;

/// <summary>Where the bench's inputs and outputs are, relative to the repository the AppHost was built from.</summary>
internal static class BenchPaths
{
    public static string RepositoryRoot =>
        MlcAspire.AppHost.Hosting.BuiltProgram.RepositoryRootOf(Projects.MlcAspire_AppHost.ProjectPath);

    /// <summary>The base of the presets' timing-mode models: <c>models/reference-timing</c>, else the tokenizer and
    /// vocabulary of <c>models/reference-tiny</c>. Either serves, because every preset writes its own schedule and
    /// <c>model_type: "reference-timing"</c> into a copy (<see cref="TimingModelVariant"/>).</summary>
    public static string TimingModel =>
        new[] { "reference-timing", "reference-tiny" }.Select(name => Path.Combine(RepositoryRoot, "models", name)).FirstOrDefault(Directory.Exists)
        ?? throw new DirectoryNotFoundException($"Neither models/reference-timing nor models/reference-tiny is in {RepositoryRoot}.");
}
