using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using MlcAspire.AppHost.Hosting;

namespace MlcAspire.Tests.Unit.AppHost;

/// <summary>
/// The AppHost's application model for some arguments, declared by its own Program but never started: what each
/// resource would be given, evaluated as Aspire evaluates it before it starts a process.
/// </summary>
internal sealed class ResourceModel
{
    private readonly IDistributedApplicationTestingBuilder _builder;

    private ResourceModel(IDistributedApplicationTestingBuilder builder) => _builder = builder;

    public static async Task<ResourceModel> CreateAsync(string args, CancellationToken cancellationToken)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.MlcAspire_AppHost>(
            args.Split(' ', StringSplitOptions.RemoveEmptyEntries), cancellationToken);
        var model = new ResourceModel(builder);

        // Endpoints are not proxied, so each gets the port it declares; DCP would allocate exactly these.
        foreach (var endpoint in builder.Resources.SelectMany(r => r.Annotations.OfType<EndpointAnnotation>()).Where(e => e.Port is not null))
        {
            endpoint.AllocatedEndpoint = new AllocatedEndpoint(endpoint, endpoint.TargetHost, endpoint.Port!.Value);
        }

        return model;
    }

    public IResourceCollection Resources => _builder.Resources;

    public T Resource<T>(string name) where T : IResource => _builder.Resources.OfType<T>().Single(r => r.Name == name);

    public IEnumerable<MlcEngineResource> Engines => _builder.Resources.OfType<MlcEngineResource>();

    /// <summary>The NVSHMEM world's uid helper has printed <paramref name="uid"/> (what engines' environment waits for).</summary>
    public void SetUid(IReadOnlyList<long> uid) => Resource<NvshmemUidResource>("nvshmem-uid").SetUid(uid);

    /// <summary>The resource's command-line arguments as DCP would be given them (run mode).</summary>
    public async Task<IReadOnlyList<string>> ArgsAsync(IResource resource) =>
        [.. (await ExecutionConfigurationBuilder.Create(resource).WithArgumentsConfig()
            .BuildAsync(_builder.ExecutionContext, NullLogger.Instance, TestContext.Current.CancellationToken)).Arguments.Select(a => a.Value)];

    /// <summary>
    /// The resource's environment as DCP would be given it (run mode). An engine of an NVSHMEM world waits for the uid:
    /// call <see cref="SetUid"/> first.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> EnvironmentAsync(IResource resource) =>
        (await ExecutionConfigurationBuilder.Create(resource).WithEnvironmentVariablesConfig()
            .BuildAsync(_builder.ExecutionContext, NullLogger.Instance, TestContext.Current.CancellationToken))
            .EnvironmentVariables.ToDictionary(e => e.Key, e => e.Value);
}
