using System.Globalization;
using Aspire.Hosting.Publishing;
using MlcAspire.AppHost.Topology;

namespace MlcAspire.AppHost.Hosting;

/// <summary>
/// Adds MLC engines and reference engines to an Aspire application: <c>mlc_llm serve</c>'s command line, an <c>http</c>
/// endpoint on the engine's own port (not proxied: engines listen where MLC's router expects them), a health check on
/// <c>GET /v1/models</c> (MLC engines have no <c>/health</c>), OTLP export, and the engine's placement as dashboard
/// properties. Published, an MLC engine is a container built from its Dockerfile and a reference engine a project.
/// </summary>
internal static class MlcEngineBuilderExtensions
{
    public const string HealthPath = "/v1/models";

    /// <summary>The engine's serve arguments inside its container (published as an environment variable: a Dockerfile resource has no args).</summary>
    public const string ServeArgsVariable = "MLC_SERVE_ARGS";

    /// <summary>The GPUs the deployment must give the engine's container, also the image's build argument.</summary>
    public const string NumGpusVariable = "MLC_NUM_GPUS";

    /// <summary>
    /// The reference engine runs from the folder where relative model paths resolve, so it is told where its own files
    /// (appsettings.json) are.
    /// </summary>
    public const string ContentRootVariable = "ASPNETCORE_CONTENTROOT";

    private static readonly string[] s_mlcServeCommand = ["-m", "mlc_llm", "serve"];

    /// <summary>A real engine: <c>&lt;python&gt; -m mlc_llm serve …</c>, published as an image of <paramref name="dockerfile"/>.</summary>
    public static IResourceBuilder<MlcEngineResource> AddMlcEngine(
        this IDistributedApplicationBuilder builder, string name, MlcEngineSpec spec, string pythonCommand, string workingDirectory, string dockerfile)
    {
        var resource = new MlcEngineResource(name, pythonCommand, workingDirectory, EngineKind.Mlc, spec);
        return builder.AddEngine(resource, s_mlcServeCommand)
            .WithManifestPublishingCallback(context => WriteDockerfileAsync(context, resource, dockerfile));
    }

    /// <summary>
    /// The reference engine of project <typeparamref name="TProject"/>: <c>dotnet &lt;its built dll&gt; …</c> (its own
    /// process, so that a stop signal reaches it directly), published as that project.
    /// </summary>
    public static IResourceBuilder<MlcEngineResource> AddReferenceEngine<TProject>(
        this IDistributedApplicationBuilder builder, string name, MlcEngineSpec spec, string workingDirectory)
        where TProject : IProjectMetadata, new()
    {
        var project = new TProject().ProjectPath;
        var resource = new MlcEngineResource(name, BuiltProgram.DotnetCommand, workingDirectory, EngineKind.Reference, spec);
        var builtProgram = new Lazy<string>(() => BuiltProgram.DllOf(project));
        return builder.AddEngine(resource, [])
            .WithArgs(context =>
            {
                // Inserted before the serve arguments; published, the project is named instead (below).
                if (context.ExecutionContext.IsRunMode)
                {
                    context.Args.Insert(0, builtProgram.Value);
                }
            })
            .WithEnvironment(context =>
            {
                if (context.ExecutionContext.IsRunMode)
                {
                    context.EnvironmentVariables[ContentRootVariable] = Path.GetDirectoryName(builtProgram.Value)!;
                }
            })
            .WithManifestPublishingCallback(context => WriteProjectAsync(context, resource, project));
    }

    private static IResourceBuilder<MlcEngineResource> AddEngine(
        this IDistributedApplicationBuilder builder, MlcEngineResource resource, IReadOnlyList<string> commandPrefix)
    {
        var spec = resource.Spec;
        return builder.AddResource(resource)
            .WithArgs(context =>
            {
                if (context.ExecutionContext.IsRunMode)
                {
                    foreach (var arg in commandPrefix.Concat(MlcServeArguments.ForRun(resource.Kind, spec)))
                    {
                        context.Args.Add(arg);
                    }
                }
            })
            .WithEnvironment(context =>
            {
                if (context.ExecutionContext.IsPublishMode)
                {
                    context.EnvironmentVariables[NumGpusVariable] = spec.Gpus.ToString(CultureInfo.InvariantCulture);
                    if (resource.Kind == EngineKind.Mlc)
                    {
                        context.EnvironmentVariables[ServeArgsVariable] = string.Join(' ', MlcServeArguments.ForContainer(resource.Kind, spec, resource.WorkingDirectory));
                    }
                }
            })
            .WithHttpEndpoint(port: spec.Port, name: MlcEngineResource.HttpEndpointName, isProxied: false)
            .WithEndpoint(MlcEngineResource.HttpEndpointName, endpoint => endpoint.TargetHost = spec.Host)
            .WithHttpHealthCheck(HealthPath, endpointName: MlcEngineResource.HttpEndpointName)
            .WithOtlpExporter()
            .WithIconName("DeveloperBoard")
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = resource.Kind == EngineKind.Mlc ? "MlcEngine" : "ReferenceEngine",
                Properties = EngineProperties(spec),
            });
    }

    /// <summary>The engine's placement, shown in the dashboard's resource details.</summary>
    public static System.Collections.Immutable.ImmutableArray<ResourcePropertySnapshot> EngineProperties(MlcEngineSpec spec) =>
    [
        new("mlc.role", spec.Role.ToString()) { DisplayName = "Role", IsHighlighted = true },
        new("mlc.device", $"cuda:{spec.DeviceStart.ToString(CultureInfo.InvariantCulture)}") { DisplayName = "Device", IsHighlighted = true },
        new("mlc.gpus", spec.Gpus) { DisplayName = "GPUs", IsHighlighted = true },
        new("mlc.pe_start", spec.PeStart) { DisplayName = "PE start", IsHighlighted = true },
        new("mlc.model", spec.Model) { DisplayName = "Model", IsHighlighted = true },
    ];

    /// <summary>
    /// Joins the engine to an NVSHMEM world of <paramref name="npes"/> PEs: it starts once the uid helper runs and gets
    /// <c>MLC_NVSHMEM_INIT_CONFIG_JSON_STR</c> with the helper's uid. The uid exists only at run time: publishing
    /// writes no such variable (awaiting the uid there would wait for a helper that never starts).
    /// </summary>
    public static IResourceBuilder<MlcEngineResource> WithNvshmemWorld(
        this IResourceBuilder<MlcEngineResource> engine, IResourceBuilder<NvshmemUidResource> uid, int npes)
    {
        var init = new NvshmemInit(npes, engine.Resource.Spec.PeStart);
        return engine
            .WaitFor(uid)
            .WithEnvironment(async context =>
            {
                if (context.ExecutionContext.IsRunMode)
                {
                    var value = await uid.Resource.Uid.WaitAsync(context.CancellationToken);
                    context.EnvironmentVariables[NvshmemInit.EnvironmentVariable] = init.ToEnvironmentValue(value);
                }
            });
    }

    /// <summary>
    /// An MLC engine as the deployment runs it: a container built from <c>deploy/mlc-engine/Dockerfile</c>, its serve
    /// arguments in <c>MLC_SERVE_ARGS</c> and its GPU count in <c>MLC_NUM_GPUS</c> (also a build argument), because a
    /// <c>dockerfile.v0</c> resource has no <c>args</c>.
    /// </summary>
    private static async Task WriteDockerfileAsync(ManifestPublishingContext context, MlcEngineResource engine, string dockerfile)
    {
        var writer = context.Writer;
        writer.WriteString("type", "dockerfile.v0");
        writer.WriteString("path", context.GetManifestRelativePath(dockerfile));
        writer.WriteString("context", context.GetManifestRelativePath(Path.GetDirectoryName(dockerfile)!));
        writer.WriteStartObject("buildArgs");
        writer.WriteString(NumGpusVariable, engine.Spec.Gpus.ToString(CultureInfo.InvariantCulture));
        writer.WriteEndObject();
        await context.WriteEnvironmentVariablesAsync(engine);
        context.WriteBindings(engine);
    }

    /// <summary>A reference engine as the deployment runs it: its project, with the serve arguments its container needs.</summary>
    private static async Task WriteProjectAsync(ManifestPublishingContext context, MlcEngineResource engine, string project)
    {
        var writer = context.Writer;
        writer.WriteString("type", "project.v0");
        writer.WriteString("path", context.GetManifestRelativePath(project));
        writer.WriteStartArray("args");
        foreach (var arg in MlcServeArguments.ForContainer(engine.Kind, engine.Spec, engine.WorkingDirectory))
        {
            writer.WriteStringValue(arg);
        }

        writer.WriteEndArray();
        await context.WriteEnvironmentVariablesAsync(engine);
        context.WriteBindings(engine);
    }
}
