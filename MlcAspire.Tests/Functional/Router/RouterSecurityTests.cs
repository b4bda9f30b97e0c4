using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace MlcAspire.Tests.Functional.Router;

[Trait("Category", "Functional")]
public sealed class RouterSecurityTests
{
    private const string Key = "sk-test-0123456789";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong")]
    [InlineData("Bearer sk-test-012345678")]
    [InlineData("Basic c2stdGVzdA==")]
    public async Task ApiKeySet_V1WithoutTheRightBearer_Gets401InTheOpenAIEnvelope(string? authorization)
    {
        await using var engine = await FakeEngine.StartAsync(Token);
        await using var router = new RouterFactory(Settings(engine, ("Router:ApiKey", Key)));
        using var client = router.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await client.SendAsync(request, Token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync(Token))!["error"]!;
        Assert.Equal("invalid_api_key", error["code"]!.GetValue<string>());
        Assert.Equal("authentication_error", error["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task ApiKeySet_TheRightBearerPasses_AndHealthStaysOpenUnlessProtected()
    {
        await using var engine = await FakeEngine.StartAsync(Token);
        await using var open = new RouterFactory(Settings(engine, ("Router:ApiKey", Key)));
        using var openClient = open.CreateClient();
        openClient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        using var models = await openClient.GetAsync("/v1/models", Token);
        Assert.Equal(HttpStatusCode.OK, models.StatusCode);
        openClient.DefaultRequestHeaders.Authorization = null;
        using var health = await openClient.GetAsync("/health", Token);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);

        await using var locked = new RouterFactory(Settings(engine, ("Router:ApiKey", Key), ("Router:ProtectOperationalEndpoints", "true")));
        using var lockedClient = locked.CreateClient();
        using var lockedHealth = await lockedClient.GetAsync("/health", Token);
        using var lockedStatus = await lockedClient.GetAsync("/router/status", Token);
        Assert.Equal(HttpStatusCode.Unauthorized, lockedHealth.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, lockedStatus.StatusCode);
    }

    [Fact]
    public async Task Cors_IsOffUnlessOriginsAreConfigured()
    {
        await using var engine = await FakeEngine.StartAsync(Token);
        await using var off = new RouterFactory(Settings(engine));
        await using var on = new RouterFactory(Settings(engine, ("Router:CorsOrigins:0", "https://app.example")));

        using var offResponse = await PreflightAsync(off.CreateClient());
        using var onResponse = await PreflightAsync(on.CreateClient());

        Assert.False(offResponse.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Equal("https://app.example", onResponse.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    private static async Task<HttpResponseMessage> PreflightAsync(HttpClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "/v1/completions");
        request.Headers.Add("Origin", "https://app.example");
        request.Headers.Add("Access-Control-Request-Method", "POST");
        return await client.SendAsync(request, Token);
    }

    private static Dictionary<string, string?> Settings(FakeEngine engine, params (string Key, string Value)[] extra)
    {
        var settings = RouterFactory.Settings("round-robin", [("Both", engine)]);
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }
}
