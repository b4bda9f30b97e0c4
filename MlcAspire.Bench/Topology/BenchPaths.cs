using System.Reflection;

namespace MlcAspire.Bench.Topology;

/// <summary>Where the programs the bench starts are, as recorded in its assembly metadata at build time.</summary>
internal static class BenchPaths
{
    public static string RouterDll => Metadata("MlcAspire.Router.Path");

    public static string EngineDll => Metadata("MlcAspire.ReferenceEngine.Path");

    public static string RepositoryRoot => Path.GetFullPath(Metadata("MlcAspire.RepositoryRoot"));

    /// <summary>The base of the presets' timing-mode models: <c>models/reference-timing</c>, else the tokenizer and
    /// vocabulary of <c>models/reference-tiny</c>. Either serves, because every preset writes its own schedule and
    /// <c>model_type: "reference-timing"</c> into a copy (<see cref="TimingModelVariant"/>).</summary>
    public static string TimingModel =>
        new[] { "reference-timing", "reference-tiny" }.Select(name => Path.Combine(RepositoryRoot, "models", name)).FirstOrDefault(Directory.Exists)
        ?? throw new DirectoryNotFoundException($"Neither models/reference-timing nor models/reference-tiny is in {RepositoryRoot}.");

    private static string Metadata(string key) =>
        typeof(BenchPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"Assembly metadata {key} is empty.");
}
