using System.Net;
using System.Text.Json.Nodes;

namespace MlcAspire.Tests.Functional.Router;

/// <summary>
/// Each of <c>Router:Limits</c> answers a request just over it with a 4xx in the OpenAI envelope before any engine
/// call, and serves one just at it.
/// </summary>
[Trait("Category", "Functional")]
public sealed class RequestLimitsTests : IAsyncLifetime
{
    private const int MaxOutputTokens = 100;
    private const int MaxSchemaLength = 1000;
    private const int BodyLimit = 64 * 1024;
    private const string OneToken = "\"max_tokens\":1";
    private FakeEngine _engine = null!;
    private RouterFactory _router = null!;
    private HttpClient _client = null!;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _engine = await FakeEngine.StartAsync(Token);
        _engine.Handler = (context, _, body) => FakeEngine.StreamTextAsync(context, body, "ok");
        var settings = RouterFactory.Settings("round-robin", [("Both", _engine)]);
        settings["Router:MaxRequestBodyBytes"] = $"{BodyLimit}";
        settings["Router:Limits:MaxOutputTokens"] = $"{MaxOutputTokens}";
        settings["Router:Limits:MaxSchemaLength"] = $"{MaxSchemaLength}";
        settings["Router:Limits:MaxInFlightBodyBytes"] = $"{2 * BodyLimit}";
        _router = new RouterFactory(settings);
        _client = _router.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _router.DisposeAsync();
        await _engine.DisposeAsync();
    }

    /// <summary>The fields of a body at a limit and of one just over it, and the <c>param</c> the 400 names.</summary>
    public static TheoryData<string, string, string> AtAndOverEachLimit() => new()
    {
        { $"{OneToken},\"stop\":{Stops(4, 1)}", $"{OneToken},\"stop\":{Stops(5, 1)}", "stop" },
        { $"{OneToken},\"stop\":{Stops(1, 512)}", $"{OneToken},\"stop\":{Stops(1, 513)}", "stop" },
        { $"{OneToken},\"logit_bias\":{{{Biases(300)}}}", $"{OneToken},\"logit_bias\":{{{Biases(301)}}}", "logit_bias" },
        { "\"n\":10,\"max_tokens\":10", "\"n\":10,\"max_tokens\":11", "n" },
        { $"{OneToken},\"response_format\":{Schema(MaxSchemaLength)}", $"{OneToken},\"response_format\":{Schema(MaxSchemaLength + 1)}", "response_format" },
    };

    [Theory]
    [MemberData(nameof(AtAndOverEachLimit))]
    public async Task FieldOverItsLimit_Gets400_AndAtItsLimitIsServed(string atLimit, string overLimit, string param)
    {
        using var over = await _client.PostCompletionAsync($$"""{"prompt":"x",{{overLimit}}}""", Token);
        var error = await ReadErrorAsync(over, HttpStatusCode.BadRequest);
        Assert.Equal("invalid_value", error["code"]!.GetValue<string>());
        Assert.Equal(param, error["param"]!.GetValue<string>());
        Assert.Empty(_engine.Requests);

        using var at = await _client.PostCompletionAsync($$"""{"prompt":"x",{{atLimit}}}""", Token);
        Assert.True(at.StatusCode == HttpStatusCode.OK, await at.Content.ReadAsStringAsync(Token));
    }

    [Fact]
    public async Task BodyNestedPastMaxJsonDepth_Gets400InvalidJson_AndAtTheDepthIsServed()
    {
        // The root object is the first level, so 63 nested arrays reach the default depth of 64.
        static string Nested(int arrays) => $$"""{"prompt":"x","max_tokens":1,"extra":{{new string('[', arrays)}}{{new string(']', arrays)}}}""";

        using var over = await _client.PostCompletionAsync(Nested(64), Token);
        var error = await ReadErrorAsync(over, HttpStatusCode.BadRequest);
        Assert.Equal("invalid_json", error["code"]!.GetValue<string>());

        using var at = await _client.PostCompletionAsync(Nested(63), Token);
        Assert.True(at.StatusCode == HttpStatusCode.OK, await at.Content.ReadAsStringAsync(Token));
    }

    [Fact]
    public async Task BodiesInFlightOverTheirBudget_Get429_AndOnceOneEndsTheNextIsServed()
    {
        var release = new TaskCompletionSource();
        var arrived = new SemaphoreSlim(0);
        _engine.Handler = async (context, _, body) =>
        {
            arrived.Release();
            await release.Task.WaitAsync(Token);
            await FakeEngine.StreamTextAsync(context, body, "ok");
        };

        // Two bodies just under the body limit hold nearly all of the budget (twice the limit) until their completions end.
        var held = new[] { PostPaddedAsync(BodyLimit - 1000), PostPaddedAsync(BodyLimit - 1000) };
        foreach (var _ in held)
        {
            // A held request answered early (it should not be) ends the wait instead of hanging it.
            await Task.WhenAny(arrived.WaitAsync(Token), Task.WhenAny(held));
        }

        Assert.All(held, request => Assert.False(request.IsCompleted));

        using (var refused = await PostPaddedAsync(3000))
        {
            var error = await ReadErrorAsync(refused, HttpStatusCode.TooManyRequests);
            Assert.Equal("rate_limit_exceeded", error["code"]!.GetValue<string>());
            Assert.True(refused.Headers.Contains("Retry-After"));
        }

        release.SetResult();
        foreach (var response in await Task.WhenAll(held))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            response.Dispose();
        }

        using var served = await PostPaddedAsync(BodyLimit - 1000);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    private Task<HttpResponseMessage> PostPaddedAsync(int bytes)
    {
        const string Start = "{\"prompt\":\"x\",\"max_tokens\":1,\"pad\":\"";
        var body = Start + new string(' ', bytes - Start.Length - 2) + "\"}";
        return _client.PostCompletionAsync(body, Token);
    }

    private static string Stops(int count, int length) =>
        "[" + string.Join(',', Enumerable.Range(0, count).Select(i => $"\"{new string((char)('a' + i), length)}\"")) + "]";

    private static string Biases(int count) => string.Join(',', Enumerable.Range(0, count).Select(i => $"\"{i}\":1"));

    private static string Schema(int length) => new JsonObject { ["type"] = "json_object", ["schema"] = new string(' ', length) }.ToJsonString();

    private static async Task<JsonNode> ReadErrorAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync(Token))!["error"]!;
        Assert.Equal(["message", "type", "param", "code"], error.AsObject().Select(p => p.Key));
        return error;
    }
}
