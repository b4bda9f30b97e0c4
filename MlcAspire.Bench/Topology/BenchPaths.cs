using System.Reflection;

namespace MlcAspire.Bench.Topology;

/// <summary>Where the programs the bench starts are, as recorded in its assembly metadata at build time.</summary>
internal static class BenchPaths
{
    public static string RouterDll => Metadata("MlcAspire.Router.Path");

    public static string EngineDll => Metadata("MlcAspire.ReferenceEngine.Path");

    public static string RepositoryRoot => Path.GetFullPath(Metadata("MlcAspire.RepositoryRoot"));

    /// <summary>The reference engine's timing mode: tokens on a schedule, no arithmetic, so that what is measured is
    /// the router and not the engines.</summary>
    public static string TimingModel => Path.Combine(RepositoryRoot, "models", "reference-timing");

    private static string Metadata(string key) =>
        typeof(BenchPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"Assembly metadata {key} is empty.");
}
