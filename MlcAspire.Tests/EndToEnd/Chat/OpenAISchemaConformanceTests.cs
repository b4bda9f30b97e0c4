using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using MlcAspire.Tests.EndToEnd.Router;

namespace MlcAspire.Tests.EndToEnd.Chat;

/// <summary>
/// Every answer a router gives, in both modes, validates against OpenAI's published schemas: models, completions and
/// chat answers, every stream chunk (requests that leave out <c>model</c> included), and errors.
/// </summary>
[Trait("Category", "EndToEnd")]
[Collection(ChatRoutersCollection.Name)]
public sealed class OpenAISchemaConformanceTests(EngineClustersFixture clusters)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("disagg", 2)]
    [InlineData("round-robin", 3)]
    public async Task EveryRouterAnswer_ValidatesAgainstOpenAISchemas(string mode, int engines)
    {
        using var router = await ChatRouters.ClientAsync(clusters, mode, engines, 0.5);
        var tag = $"[schema/{mode}]";

        await OpenAISchemas.AssertValidAsync("ListModelsResponse", await router.GetStringAsync("/v1/models", Token));

        var completion = new JsonObject { ["prompt"] = $"{tag} Once upon a time", ["max_tokens"] = 6, ["logprobs"] = 2, ["temperature"] = 0 };
        await OpenAISchemas.AssertValidAsync("CreateCompletionResponse", await PostOkAsync(router, "/v1/completions", completion));
        completion["stream"] = true;
        completion["stream_options"] = new JsonObject { ["include_usage"] = true };
        foreach (var chunk in await StreamAsync(router, "/v1/completions", completion))
        {
            await OpenAISchemas.AssertValidAsync("CreateCompletionResponse", chunk, streamChunk: true);
        }

        var chat = ChatCalls.Body(tag, maxTokens: 6, stream: false);
        chat["logprobs"] = true;
        chat["top_logprobs"] = 2;
        await OpenAISchemas.AssertValidAsync("CreateChatCompletionResponse", await PostOkAsync(router, ChatCalls.Path, chat));
        chat["stream"] = true;
        chat["stream_options"] = new JsonObject { ["include_usage"] = true };
        foreach (var chunk in await StreamAsync(router, ChatCalls.Path, chat))
        {
            await OpenAISchemas.AssertValidAsync("CreateChatCompletionStreamResponse", chunk, streamChunk: true);
        }

        chat.Remove("stream_options");
        foreach (var chunk in await StreamAsync(router, ChatCalls.Path, chat))
        {
            await OpenAISchemas.AssertValidAsync("CreateChatCompletionStreamResponse", chunk, streamChunk: true);
        }

        foreach (var (path, body) in (ValueTuple<string, JsonObject>[])
        [
            (ChatCalls.Path, new JsonObject { ["messages"] = new JsonArray() }),
            (ChatCalls.Path, new JsonObject { ["model"] = "another-model", ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "hi" }) }),
            ("/v1/completions", new JsonObject { ["prompt"] = "x", ["temperature"] = "hot" }),
        ])
        {
            using var response = await router.PostAsync(path, Json(body), Token);
            Assert.True((int)response.StatusCode is >= 400 and < 500, response.StatusCode.ToString());
            await OpenAISchemas.AssertValidAsync("ErrorResponse", await response.Content.ReadAsStringAsync(Token));
        }
    }

    private static StringContent Json(JsonObject body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    private static async Task<string> PostOkAsync(HttpClient router, string path, JsonObject body)
    {
        using var response = await router.PostAsync(path, Json(body), Token);
        var text = await response.Content.ReadAsStringAsync(Token);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return text;
    }

    /// <summary>The data of every event but <c>[DONE]</c>, which the stream must end with.</summary>
    private static async Task<List<string>> StreamAsync(HttpClient router, string path, JsonObject body)
    {
        using var response = await router.PostAsync(path, Json(body), Token);
        var text = await response.Content.ReadAsStringAsync(Token);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var events = text.Split('\n').Where(line => line.StartsWith("data: ", StringComparison.Ordinal)).Select(line => line["data: ".Length..]).ToList();
        Assert.Equal("[DONE]", events[^1]);
        return events[..^1];
    }
}
