namespace MlcAspire.AppHost.Hosting;

/// <summary>
/// The router as a connection string, <c>Endpoint=&lt;router url&gt;;Model=&lt;model id&gt;</c>, for projects that
/// build an OpenAI-compatible client from it: <c>.WithReference(routerConnection, "router")</c> gives them
/// <c>ConnectionStrings__router</c> beside the router's own service discovery. Hidden in the dashboard: it is the
/// router's, which it belongs to.
/// </summary>
internal sealed class MlcRouterConnectionResource(string name, ProjectResource router, string model)
    : Resource(name), IResourceWithConnectionString, IResourceWithParent<ProjectResource>
{
    public ProjectResource Parent { get; } = router;

    public string Model { get; } = model;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"Endpoint={Parent.GetEndpoint(MlcRouterBuilderExtensions.HttpEndpointName)};Model={Model}");
}
