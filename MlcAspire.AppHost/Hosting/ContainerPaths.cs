namespace MlcAspire.AppHost.Hosting;

/// <summary>
/// Where the model and its lib are inside a published resource's container. A manifest describes the deployment, not
/// the machine that wrote it: the images work in <c>/app</c> and the models are mounted (or baked in) at
/// <c>/app/models</c> (deploy/README.md), so a path of this machine becomes <c>models/&lt;its last segment&gt;</c>.
/// </summary>
internal static class ContainerPaths
{
    public const string ModelFolder = "models";

    /// <summary>The model as the container sees it; an id that <c>mlc_llm</c> downloads (<c>HF://…</c>) stays as given.</summary>
    public static string Model(string model) =>
        model.Contains("://", StringComparison.Ordinal) ? model : InModelFolder(LastSegment(model));

    /// <summary>
    /// The lib as the container sees it: in place inside the model's folder when it lies there (MLC's usual layout),
    /// else beside it in <c>models/</c>. Relative paths of this machine resolve against <paramref name="workingDirectory"/>.
    /// </summary>
    public static string ModelLib(string lib, string model, string workingDirectory)
    {
        var libPath = Path.GetFullPath(lib, workingDirectory);
        if (!model.Contains("://", StringComparison.Ordinal))
        {
            var modelPath = Path.TrimEndingDirectorySeparator(Path.GetFullPath(model, workingDirectory));
            if (libPath.StartsWith(modelPath + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                return $"{Model(model)}/{Path.GetRelativePath(modelPath, libPath).Replace('\\', '/')}";
            }
        }

        return InModelFolder(Path.GetFileName(libPath));
    }

    private static string LastSegment(string path) => Path.GetFileName(Path.TrimEndingDirectorySeparator(path));

    private static string InModelFolder(string name) => $"{ModelFolder}/{name}";
}
