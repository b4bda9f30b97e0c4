namespace MlcAspire.AppHost;

/// <summary>Where the processes start, so that a relative model path (<c>models/reference-tiny</c>) resolves.</summary>
/// <remarks>
/// The model argument is also the engines' <c>/v1/models</c> id "as given" (mlc-protocol.md §1.3), so it is never rewritten;
/// instead the processes start in the current directory, or in the repository root when only that has the path
/// (e.g. <c>dotnet run --project MlcAspire.AppHost</c> started from elsewhere).
/// </remarks>
internal static class ModelLocation
{
    public static string WorkingDirectory(string model, string currentDirectory, string repositoryRoot)
    {
        if (Path.IsPathRooted(model) || Exists(Path.Combine(currentDirectory, model)))
        {
            return currentDirectory;
        }

        return Exists(Path.Combine(repositoryRoot, model)) ? repositoryRoot : currentDirectory;
    }

    private static bool Exists(string path) => Directory.Exists(path) || File.Exists(path);
}
