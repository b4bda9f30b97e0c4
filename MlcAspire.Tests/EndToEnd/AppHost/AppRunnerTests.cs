using System.Net;
using System.Text.Json;
using MlcAspire.AppHost.Running;

namespace MlcAspire.Tests.EndToEnd.AppHost;

[Trait("Category", "EndToEnd")]
public sealed class AppRunnerTests(TestingAppFixture fixture) : IClassFixture<TestingAppFixture>
{
    [Fact]
    public void DefaultTopology_EveryResourceRunsWithItsProcessUrlAndGpus()
    {
        var resources = fixture.App.Resources;

        Assert.Equal(["engine-0", "engine-1", "router"], resources.Select(r => r.Name));
        Assert.All(resources, r => Assert.Equal(ResourceState.Running, r.State));
        Assert.All(resources, r => Assert.True(ProcessTree.IsAlive(r.ProcessId!.Value), $"{r.Name} is not alive"));
        Assert.Equal([["cuda:0"], ["cuda:1"], []], resources.Select(r => r.Devices));
        Assert.Equal(fixture.App.GetEndpoint("router"), resources[2].Url);
    }

    [Fact]
    public async Task Engine_AnswersModelsWithTheModelAsGiven()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var client = fixture.App.CreateHttpClient("engine-1");

        using var response = await client.GetAsync(new Uri("/v1/models", UriKind.Relative), cancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var models = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        Assert.Equal("models/reference-tiny", models.RootElement.GetProperty("data")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task Router_IsHealthy()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var client = fixture.App.CreateHttpClient("router");

        using var response = await client.GetAsync(new Uri("/health", UriKind.Relative), cancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public void UnknownResource_IsAnErrorThatListsTheResources()
    {
        var error = Assert.Throws<ArgumentException>(() => fixture.App.GetEndpoint("engine-9"));

        Assert.Contains("engine-0, engine-1, router", error.Message, StringComparison.Ordinal);
    }
}
