using System.Reflection;

namespace MlcAspire.AppHost.Planning;

/// <summary>Where the programs the AppHost starts were built (the counterpart of Aspire's <c>Projects.*</c>).</summary>
/// <param name="RouterDll">The router's built dll.</param>
/// <param name="ReferenceEngineDll">The reference engine's built dll.</param>
/// <param name="RepositoryRoot">The repository the AppHost was built from.</param>
/// <param name="AppHostDll">The AppHost's own built dll (which also runs the watchdog).</param>
internal sealed record ProgramPaths(string RouterDll, string ReferenceEngineDll, string RepositoryRoot, string AppHostDll)
{
    public string RouterProject => Path.Combine(RepositoryRoot, "MlcAspire.Router", "MlcAspire.Router.csproj");

    public string EngineDockerfile => Path.Combine(RepositoryRoot, "deploy", "mlc-engine", "Dockerfile");

    /// <summary>Reads the paths that the build recorded in this assembly (MlcAspire.AppHost.csproj, RecordProgramPaths).</summary>
    public static ProgramPaths FromBuild()
    {
        var metadata = typeof(ProgramPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);
        return new(Read("MlcAspire.Program.Router"), Read("MlcAspire.Program.ReferenceEngine"), Read("MlcAspire.RepositoryRoot"), Read("MlcAspire.Program.AppHost"));

        string Read(string key) => metadata.TryGetValue(key, out var value) && !string.IsNullOrEmpty(value)
            ? value
            : throw new InvalidOperationException($"The build did not record '{key}'; rebuild MlcAspire.AppHost.");
    }
}
