using System.Reflection;

namespace MlcAspire.AppHost.Hosting;

/// <summary>
/// Where a referenced .NET project's program was built, so that it runs as <c>dotnet &lt;dll&gt;</c>, its own process:
/// the repository builds into <c>artifacts/bin/&lt;project&gt;/&lt;configuration&gt;/</c> (UseArtifactsOutput in
/// Directory.Build.props), in the configuration the AppHost itself was built in.
/// </summary>
internal static class BuiltProgram
{
    public const string DotnetCommand = "dotnet";

    /// <param name="projectPath">The project file, or its folder (as Aspire's generated metadata of an AppHost names it).</param>
    public static string DllOf(string projectPath)
    {
        var folder = ProjectFolder(projectPath);
        var name = Path.GetFileName(folder);
        var root = Path.GetDirectoryName(folder)!;
        var configuration = typeof(BuiltProgram).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var dll = Path.Combine(root, "artifacts", "bin", name, configuration.ToLowerInvariant(), name + ".dll");
        return File.Exists(dll)
            ? dll
            : throw new FileNotFoundException($"{name} is not built at {dll}; build the AppHost (it builds the projects it starts).", dll);
    }

    /// <summary>The repository a project of it lies in (projects are folders at its root).</summary>
    public static string RepositoryRootOf(string projectPath) => Path.GetDirectoryName(ProjectFolder(projectPath))!;

    private static string ProjectFolder(string projectPath) =>
        Directory.Exists(projectPath) ? Path.TrimEndingDirectorySeparator(projectPath) : Path.GetDirectoryName(projectPath)!;
}
