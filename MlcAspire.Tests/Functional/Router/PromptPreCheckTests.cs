using System.Net;
using System.Text.Json.Nodes;

namespace MlcAspire.Tests.Functional.Router;

/// <summary>
/// In disagg mode the router tokenizes text prompts; one whose UTF-8 length over the longest token's (17 bytes in
/// the reference vocabulary) already reaches the 4,096-token window is refused without tokenizing it.
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

    private async Task<string> RefusedAsync(string prompt)
    {
        using var response = await _client.PostCompletionAsync(new JsonObject { ["prompt"] = prompt, ["max_tokens"] = 1 }.ToJsonString(), Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync(Token))!["error"]!;
        Assert.Equal("context_length_exceeded", error["code"]!.GetValue<string>());
        Assert.Empty(_prefill.Requests);
        Assert.Empty(_decode.Requests);
        return error["message"]!.GetValue<string>();
    }
}
