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

    public static string DllOf(string projectPath)
    {
        var name = Path.GetFileNameWithoutExtension(projectPath);
        var root = Path.GetDirectoryName(Path.GetDirectoryName(projectPath))!;
        var configuration = typeof(BuiltProgram).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var dll = Path.Combine(root, "artifacts", "bin", name, configuration.ToLowerInvariant(), name + ".dll");
        return File.Exists(dll)
            ? dll
            : throw new FileNotFoundException($"{name} is not built at {dll}; build the AppHost (it builds the projects it starts).", dll);
    }
}
