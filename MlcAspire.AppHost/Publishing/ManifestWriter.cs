using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MlcAspire.AppHost.Planning;
using MlcAspire.AppHost.Topology;

namespace MlcAspire.AppHost.Publishing;

/// <summary>
/// Writes a plan as the Aspire deployment manifest (<c>aspire-8.0.json</c>, what <c>azd</c> reads when it runs
/// the AppHost with <c>--publisher manifest --output-path FILE</c>).
/// </summary>
/// <remarks>
/// Real engines are <c>dockerfile.v0</c> resources built from <c>deploy/mlc-engine/Dockerfile</c>. That resource type
/// has no <c>args</c>, so the serve arguments travel in <c>MLC_SERVE_ARGS</c> and the GPU count in
/// <c>MLC_NUM_GPUS</c> (also a build argument, recorded as an image label). Reference engines and the router are
/// <c>project.v0</c> resources. The router's service-discovery variables become binding expressions, so the
/// deployment fills in wherever each engine ends up. Paths are relative to the manifest's folder, as the schema says.
/// Nothing of the publishing machine goes in: the model and its lib are named as the containers see them
/// (<see cref="ContainerPaths"/>), and an OTLP endpoint only when the topology gives one (<c>--otlp-endpoint</c>), never
/// the AppHost's own <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.
/// </remarks>
internal static class ManifestWriter
{
    public const string SchemaUrl = "https://json.schemastore.org/aspire-8.0.json";

    private static readonly JsonSerializerOptions s_writeOptions = new() { WriteIndented = true };

    public static async Task WriteAsync(AppPlan plan, EngineKind engineKind, ProgramPaths paths, string outputPath, CancellationToken cancellationToken)
    {
        var fullPath = Path.GetFullPath(outputPath);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        var manifest = Build(plan, engineKind, paths, Path.GetDirectoryName(fullPath)!);
        await using var file = File.Create(fullPath);
        await JsonSerializer.SerializeAsync(file, manifest, s_writeOptions, cancellationToken);
    }

    /// <summary>What the manifest cannot express of this plan, one line each, for the publisher to print.</summary>
    public static IReadOnlyList<string> Warnings(AppPlan plan) => plan.NvshmemHelper is null
        ? []
        :
        [
            $"--router-mode disagg: the manifest's engines have no NVSHMEM world ({NvshmemInit.EnvironmentVariable} needs a uid "
            + "that a helper process creates at start, and NVSHMEM spans one node), so they cannot hand KV to each other; "
            + "run disaggregated topologies with the AppHost on one GPU node, or publish --router-mode round-robin (deploy/README.md)",
        ];

    public static JsonObject Build(AppPlan plan, EngineKind engineKind, ProgramPaths paths, string manifestDirectory)
    {
        var resources = new JsonObject();
        foreach (var engine in plan.Engines)
        {
            resources[engine.Name] = engineKind == EngineKind.Mlc
                ? MlcEngine(engine, paths, manifestDirectory)
                : ReferenceEngine(engine, paths, manifestDirectory);
        }

        resources[plan.Router.Name] = Router(plan, paths, manifestDirectory);
        return new JsonObject { ["$schema"] = SchemaUrl, ["resources"] = resources };
    }

    private static JsonObject MlcEngine(ResourcePlan engine, ProgramPaths paths, string manifestDirectory)
    {
        var details = engine.Engine!;
        var gpus = details.Devices.Count.ToString(CultureInfo.InvariantCulture);
        var environment = Environment(engine.Environment);
        environment["MLC_SERVE_ARGS"] = string.Join(' ', details.ContainerServeArgs);
        environment["MLC_NUM_GPUS"] = gpus;
        return new JsonObject
        {
            ["type"] = "dockerfile.v0",
            ["path"] = Relative(manifestDirectory, paths.EngineDockerfile),
            ["context"] = Relative(manifestDirectory, Path.GetDirectoryName(paths.EngineDockerfile)!),
            ["buildArgs"] = new JsonObject { ["MLC_NUM_GPUS"] = gpus },
            ["env"] = environment,
            ["bindings"] = HttpBinding(engine.Endpoint.Port, external: false),
        };
    }

    private static JsonObject ReferenceEngine(ResourcePlan engine, ProgramPaths paths, string manifestDirectory) => new()
    {
        ["type"] = "project.v0",
        ["path"] = Relative(manifestDirectory, Path.Combine(paths.RepositoryRoot, "MlcAspire.ReferenceEngine", "MlcAspire.ReferenceEngine.csproj")),
        ["args"] = new JsonArray([.. engine.Engine!.ContainerServeArgs.Select(a => JsonValue.Create(a))]),
        ["env"] = Environment(engine.Environment.Where(e => e.Key != PlanBuilder.ContentRootVariable)),
        ["bindings"] = HttpBinding(engine.Endpoint.Port, external: false),
    };

    private static JsonObject Router(AppPlan plan, ProgramPaths paths, string manifestDirectory)
    {
        var environment = Environment(plan.Router.Environment.Where(e => e.Key is not ("ASPNETCORE_URLS" or PlanBuilder.ContentRootVariable)));

        // The same model id the engines serve, and the folder a disagg router tokenizes with, inside its container.
        environment[PlanBuilder.RouterModelVariable] = ContainerPaths.Model(plan.Router.Environment[PlanBuilder.RouterModelVariable]);

        // Deployed, the router listens where the platform says (Aspire's project.v0 convention).
        environment["HTTP_PORTS"] = $"{{{plan.Router.Name}.bindings.http.targetPort}}";
        foreach (var engine in plan.Engines)
        {
            environment[PlanBuilder.ServiceDiscoveryKey(engine)] = $"{{{engine.Name}.bindings.{engine.Endpoint.Name}.url}}";
        }

        return new JsonObject
        {
            ["type"] = "project.v0",
            ["path"] = Relative(manifestDirectory, paths.RouterProject),
            ["env"] = environment,
            ["bindings"] = HttpBinding(port: null, external: true),
        };
    }

    private static JsonObject Environment(IEnumerable<KeyValuePair<string, string>> variables)
    {
        var environment = new JsonObject();
        foreach (var (key, value) in variables)
        {
            environment[key] = value;
        }

        return environment;
    }

    private static JsonObject HttpBinding(int? port, bool external)
    {
        var binding = new JsonObject { ["scheme"] = "http", ["protocol"] = "tcp", ["transport"] = "http" };
        if (port is { } targetPort)
        {
            binding["targetPort"] = targetPort;
        }

        if (external)
        {
            binding["external"] = true;
        }

        return new JsonObject { [EndpointPlan.Http] = binding };
    }

    private static string Relative(string manifestDirectory, string path) =>
        Path.GetRelativePath(manifestDirectory, path).Replace('\\', '/');
}
