using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MlcAspire.AppHost.Running;
using OpenAI;

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
    public async Task Router_ListsTheModel_ToTheOpenAIClient()
    {
        using var httpClient = fixture.App.CreateHttpClient("router");
        var openAI = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions
        {
            Endpoint = new Uri(fixture.App.GetEndpoint("router"), "/v1"),
            Transport = new HttpClientPipelineTransport(httpClient),
        });

        var models = await openAI.GetOpenAIModelClient().GetModelsAsync(TestContext.Current.CancellationToken);

        Assert.Equal(["models/reference-tiny"], models.Value.Select(m => m.Id));
    }

    [Fact]
    public async Task Router_CompletesThroughTheDisaggregatedWorld_AsOneEngineAlone()
    {
        // Greedy output through prefill engine-0 -> KV push -> decode engine-1 equals engine-0's own answer only if
        // the AppHost wired the world right: one uid, npes 2, PE starts 0 and 1, and the router's recv_rank.
        var cancellationToken = TestContext.Current.CancellationToken;
        var request = new { prompt = "The quick brown fox jumps over the lazy dog", max_tokens = 12, temperature = 0 };
        using var router = fixture.App.CreateHttpClient("router");
        using var engine = fixture.App.CreateHttpClient("engine-0");

        var throughRouter = await CompleteAsync(router, request, cancellationToken);
        var alone = await CompleteAsync(engine, request, cancellationToken);

        Assert.NotEmpty(throughRouter);
        Assert.Equal(alone, throughRouter);
    }

    [Fact]
    public void UnknownResource_IsAnErrorThatListsTheResources()
    {
        var error = Assert.Throws<ArgumentException>(() => fixture.App.GetEndpoint("engine-9"));

        Assert.Contains("engine-0, engine-1, router", error.Message, StringComparison.Ordinal);
    }

    private static async Task<string> CompleteAsync(HttpClient client, object request, CancellationToken cancellationToken)
    {
        using var response = await client.PostAsJsonAsync(new Uri("/v1/completions", UriKind.Relative), request, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var completion = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return completion.RootElement.GetProperty("choices")[0].GetProperty("text").GetString()!;
    }
}
