using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MlcAspire.Tests.Functional.Router;

/// <summary>
/// <c>POST /router/engines/{name}/drain|undrain</c> (the dashboard's engine commands): a drained engine gets no new
/// work while the others do, comes back on undrain, and an unknown name or a missing API key is refused.
/// </summary>
[Trait("Category", "Functional")]
public sealed class EngineDrainTests
{
    private const string Key = "sk-test-drain";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DrainedEngine_GetsNoNewWork_UntilUndrained()
    {
        await using var first = await StartEngineAsync();
        await using var second = await StartEngineAsync();
        await using var router = new RouterFactory(RouterFactory.Settings("round-robin", [("Both", first), ("Both", second)]));
        using var client = router.CreateClient();

        using var drained = await client.PostAsync("/router/engines/engine-0/drain", null, Token);
        Assert.Equal(HttpStatusCode.OK, drained.StatusCode);
        Assert.True(JsonNode.Parse(await drained.Content.ReadAsStringAsync(Token))!["drained"]!.GetValue<bool>());
        for (var i = 0; i < 4; i++)
        {
            await CompleteAsync(client);
        }

        Assert.Empty(first.Requests);
        Assert.Equal(4, second.Requests.Count);
        var status = JsonNode.Parse(await client.GetStringAsync("/router/status", Token))!["engines"]!.AsArray();
        Assert.Equal([true, false], status.Select(e => e!["drained"]!.GetValue<bool>()));

        using var undrained = await client.PostAsync("/router/engines/engine-0/undrain", null, Token);
        Assert.Equal(HttpStatusCode.OK, undrained.StatusCode);
        for (var i = 0; i < 4; i++)
        {
            await CompleteAsync(client);
        }

        Assert.NotEmpty(first.Requests);
    }

    [Fact]
    public async Task UnknownEngine_Is404_AndWithAnApiKeyTheCommandsNeedIt()
    {
        await using var engine = await StartEngineAsync();
        var settings = RouterFactory.Settings("round-robin", [("Both", engine)]);
        settings["Router:ApiKey"] = Key;
        await using var router = new RouterFactory(settings);
        using var client = router.CreateClient();

        using var anonymous = await client.PostAsync("/router/engines/engine-0/drain", null, Token);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        using var unknown = await client.PostAsync("/router/engines/engine-9/drain", null, Token);
        using var known = await client.PostAsync("/router/engines/engine-0/drain", null, Token);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var error = JsonDocument.Parse(await unknown.Content.ReadAsStringAsync(Token));
        Assert.Equal("engine_not_found", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("engine-0", error.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, known.StatusCode);
    }

    private static async Task<FakeEngine> StartEngineAsync()
    {
        var engine = await FakeEngine.StartAsync(Token);
        engine.Handler = (context, _, body) => FakeEngine.StreamTextAsync(context, body, "Hello");
        return engine;
    }

    private static async Task CompleteAsync(HttpClient client)
    {
        using var response = await client.PostAsync("/v1/completions",
            new StringContent("""{"prompt":[1,2],"stream":true,"max_tokens":1}""", Encoding.UTF8, "application/json"), Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await response.Content.ReadAsStringAsync(Token);
    }
}
