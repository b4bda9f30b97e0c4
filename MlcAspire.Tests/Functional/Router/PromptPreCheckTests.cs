using System.Net;
using System.Text.Json.Nodes;

namespace MlcAspire.Tests.Functional.Router;

/// <summary>
/// In disagg mode the router tokenizes text prompts; one whose UTF-8 length over the longest token's (17 bytes in
/// the reference vocabulary) already reaches the 4,096-token window is refused without tokenizing it; so is a chat
/// conversation whose rendered text cannot fit.
/// </summary>
[Trait("Category", "Functional")]
public sealed class PromptPreCheckTests : IAsyncLifetime
{
    private const int Window = 4096;
    private const int MaxTokenBytes = 17;

    private FakeEngine _prefill = null!;
    private FakeEngine _decode = null!;
    private RouterFactory _router = null!;
    private HttpClient _client = null!;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _prefill = await FakeEngine.StartAsync(Token);
        _decode = await FakeEngine.StartAsync(Token);
        _router = new RouterFactory(RouterFactory.Settings("disagg", [("Prefill", _prefill), ("Decode", _decode)]));
        _client = _router.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _router.DisposeAsync();
        await _prefill.DisposeAsync();
        await _decode.DisposeAsync();
    }

    [Fact]
    public async Task TextThatCannotFitAtTheLongestTokenLength_Gets400ContextLengthExceeded_BeforeTokenizing()
    {
        var message = await RefusedAsync(new string('x', Window * MaxTokenBytes));

        Assert.Contains($"at least {Window} tokens", message);
    }

    [Fact]
    public async Task TextJustUnderTheBound_IsTokenized_AndRefusedWithItsExactTokenCount()
    {
        // 69,615 bytes pass the bound (4,095 tokens at 17 bytes each); "xx" is one token, so they are 34,808 tokens.
        var message = await RefusedAsync(new string('x', (Window - 1) * MaxTokenBytes));

        Assert.Contains("The prompt has 34808 tokens", message);
    }

    [Fact]
    public async Task ConversationThatCannotFitAtTheLongestTokenLength_Gets400ContextLengthExceeded_BeforeTokenizing()
    {
        var body = new JsonObject
        {
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = new string('x', Window * MaxTokenBytes) }),
            ["max_tokens"] = 1,
        };

        var message = await ContextLengthExceededAsync("/v1/chat/completions", body);

        // The rendered conversation adds the template's role markers to the user's text.
        Assert.Matches(@"The prompt has at least 4\d\d\d tokens", message);
    }

    [Theory]
    [InlineData("/v1/completions", "prompt")]
    [InlineData("/v1/chat/completions", "messages")]
    public async Task SeveralChoices_Get400UnsupportedParameter_BeforeAnyEngineCall(string path, string promptField)
    {
        JsonNode prompt = promptField == "prompt" ? "Hello" : new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Hello" });

        var error = await RefusedAsync(path, new JsonObject { [promptField] = prompt, ["n"] = 2 });

        Assert.Equal("unsupported_parameter", error["code"]!.GetValue<string>());
        Assert.Equal("n", error["param"]!.GetValue<string>());
    }

    private Task<string> RefusedAsync(string prompt) =>
        ContextLengthExceededAsync("/v1/completions", new JsonObject { ["prompt"] = prompt, ["max_tokens"] = 1 });

    private async Task<string> ContextLengthExceededAsync(string path, JsonObject body)
    {
        var error = await RefusedAsync(path, body);
        Assert.Equal("context_length_exceeded", error["code"]!.GetValue<string>());
        return error["message"]!.GetValue<string>();
    }

    private async Task<JsonNode> RefusedAsync(string path, JsonObject body)
    {
        using var content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        using var response = await _client.PostAsync(path, content, Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync(Token))!["error"]!;
        Assert.Empty(_prefill.Requests);
        Assert.Empty(_decode.Requests);
        return error;
    }
}
