namespace MlcAspire.Tests;

/// <summary>Paths inside the repository the tests were built from.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The model directory the reference engine and router load by default.</summary>
    public static string ReferenceTinyModel => Path.Combine(Root, "models", "reference-tiny");

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "MlcAspire.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No MlcAspire.sln above {AppContext.BaseDirectory}.");
    }
}
