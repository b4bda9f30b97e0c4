using System.Globalization;
using MlcAspire.AppHost.Topology;

namespace MlcAspire.AppHost.Hosting;

/// <summary>
/// Adds the router project: its <c>Router__*</c> settings (docs/wiring.md), an <c>http</c> endpoint on its own port
/// (not proxied), a health check on <c>/health</c>, links to its status page and metrics, and its engines, each referenced
/// for service discovery (<c>services__&lt;engine&gt;__http__0</c>) and waited for, with Drain and Undrain commands.
/// </summary>
internal static class MlcRouterBuilderExtensions
{
    public const string HttpEndpointName = "http";
    public const string HealthPath = "/health";
    public const string StatusPath = "/router/status";
    public const string MetricsPath = "/metrics";
    public const string ModelVariable = "Router__Model";
    public const string ModelPathVariable = "Router__ModelPath";

    /// <summary>Adds the router of <typeparamref name="TProject"/>, listening on <paramref name="host"/>:<paramref name="port"/>.</summary>
    public static IResourceBuilder<ProjectResource> AddMlcRouter<TProject>(
        this IDistributedApplicationBuilder builder, string name, string model, RouterMode mode, double pdBalanceFactor, string host, int port)
        where TProject : IProjectMetadata, new()
    {
        var builtProgram = new Lazy<string>(() => BuiltProgram.DllOf(new TProject().ProjectPath));
        var router = builder.AddProject<TProject>(name, options => options.ExcludeLaunchProfile = true)
            .AsBuiltProgram(builtProgram)
            .WithHttpEndpoint(port: port, name: HttpEndpointName, isProxied: false)
            .WithEndpoint(HttpEndpointName, endpoint => endpoint.TargetHost = host)
            .WithHttpHealthCheck(HealthPath, endpointName: HttpEndpointName)
            .WithExternalHttpEndpoints()
            .WithIconName("ArrowRouting")
            .WithUrls(context =>
            {
                if (context.GetEndpoint(HttpEndpointName) is not { Url: { } url } endpoint)
                {
                    return;
                }

                context.Urls.Add(new() { Url = url + StatusPath, DisplayText = "Router status", Endpoint = endpoint });
                context.Urls.Add(new() { Url = url + MetricsPath, DisplayText = "Metrics", Endpoint = endpoint });
            })
            .WithEnvironment(context =>
            {
                var variables = context.EnvironmentVariables;
                variables["Router__Mode"] = RouterModeNames.Format(mode);

                // Deployed, the model is where the router's image keeps it (the same id the engines serve).
                variables[ModelVariable] = context.ExecutionContext.IsPublishMode ? ContainerPaths.Model(model) : model;
                variables["Router__PdBalanceFactor"] = pdBalanceFactor.ToString("R", CultureInfo.InvariantCulture);
                var engines = context.Resource.Annotations.OfType<RouterEngineAnnotation>().ToList();
                for (var k = 0; k < engines.Count; k++)
                {
                    var prefix = $"Router__Engines__{k.ToString(CultureInfo.InvariantCulture)}__";
                    variables[prefix + "Name"] = engines[k].Name;
                    variables[prefix + "Role"] = engines[k].Role.ToString();
                    variables[prefix + "PeStart"] = engines[k].PeStart.ToString(CultureInfo.InvariantCulture);
                }
            });

        var connection = new MlcRouterConnectionResource($"{name}-connection", router.Resource, model);
        builder.AddResource(connection)
            .WithInitialState(new CustomResourceSnapshot { ResourceType = "RouterConnection", Properties = [], IsHidden = true })
            .ExcludeFromManifest();
        return router;
    }

    /// <summary>
    /// Runs the project as <c>dotnet &lt;its built dll&gt;</c> instead of DCP's default <c>dotnet run --project</c>: the
    /// <c>dotnet run</c> wrapper does not pass SIGTERM on, so DCP waited for it and then killed it, and the router
    /// never drained (a stop took 12–15 s instead of under one).
    /// </summary>
    private static IResourceBuilder<ProjectResource> AsBuiltProgram(this IResourceBuilder<ProjectResource> project, Lazy<string> builtProgram)
    {
#pragma warning disable ASPIREEXTENSION001 // An evaluation API, and the one that replaces DCP's `run --project …` for a project.
        return project.WithLaunchToolArgs(context => context.Args.Add(builtProgram.Value));
#pragma warning restore ASPIREEXTENSION001
    }

    /// <summary>
    /// Where the router reads the model's tokenizer on this machine (<c>Router__ModelPath</c>): a project runs in its own
    /// folder, where a relative model argument does not resolve. Run mode only: deployed, the model id is the path.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithModelFolder(this IResourceBuilder<ProjectResource> router, string folder) =>
        router.WithEnvironment(context =>
        {
            if (context.ExecutionContext.IsRunMode && Directory.Exists(folder))
            {
                context.EnvironmentVariables[ModelPathVariable] = folder;
            }
        });

    /// <summary>The router's connection string resource (<see cref="MlcRouterConnectionResource"/>).</summary>
    public static IResourceBuilder<MlcRouterConnectionResource> GetConnection(this IResourceBuilder<ProjectResource> router) =>
        router.ApplicationBuilder.CreateResourceBuilder(
            router.ApplicationBuilder.Resources.OfType<MlcRouterConnectionResource>().Single(c => c.Parent == router.Resource));

    /// <summary>
    /// Routes to an engine the application starts: referenced for service discovery, waited for until healthy, and
    /// given dashboard commands that drain it from this router and put it back.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithEngine(this IResourceBuilder<ProjectResource> router, IResourceBuilder<MlcEngineResource> engine)
    {
        engine.WithDrainCommands(router);
        return router
            .WithAnnotation(new RouterEngineAnnotation(engine.Resource.Name, engine.Resource.Spec.Role, engine.Resource.Spec.PeStart), ResourceAnnotationMutationBehavior.Append)
            .WithReference(engine)
            .WaitFor(engine);
    }

    /// <summary>Routes to an engine that runs elsewhere (another host), referenced by its URL and not started here.</summary>
    public static IResourceBuilder<ProjectResource> WithEngine(
        this IResourceBuilder<ProjectResource> router, IResourceBuilder<ExternalServiceResource> engine, EngineRole role, int peStart) =>
        router
            .WithAnnotation(new RouterEngineAnnotation(engine.Resource.Name, role, peStart), ResourceAnnotationMutationBehavior.Append)
            .WithReference(engine);

    /// <summary>
    /// Drain (no new work from the router; the engine's requests in flight finish) and Undrain, through the router's
    /// <c>POST /router/engines/{name}/drain|undrain</c>.
    /// </summary>
    private static void WithDrainCommands(this IResourceBuilder<MlcEngineResource> engine, IResourceBuilder<ProjectResource> router)
    {
        foreach (var (command, displayName, icon) in new[] { ("drain", "Drain", "Pause"), ("undrain", "Undrain", "Play") })
        {
            engine.WithHttpCommand(
                $"/router/engines/{engine.Resource.Name}/{command}",
                displayName,
                commandName: $"{router.Resource.Name}-{command}",
                commandOptions: new HttpCommandOptions
                {
                    EndpointSelector = () => router.GetEndpoint(HttpEndpointName),
                    Method = HttpMethod.Post,
                    Description = $"{displayName} {engine.Resource.Name} in {router.Resource.Name}",
                    IconName = icon,
                });
        }
    }
}
