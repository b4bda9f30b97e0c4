using System.Net;
using System.Text.Json.Nodes;
using MlcAspire.Tests.EndToEnd.Router;
using static MlcAspire.Tests.EndToEnd.Chat.ChatCalls;

namespace MlcAspire.Tests.EndToEnd.Chat;

/// <summary>
/// <c>POST /v1/chat/completions</c> through real router processes in front of real reference engines: greedy output equals
/// the same request sent to one engine, in round-robin and in disaggregation (the router renders the conversation with the
/// model's template, hands it off and turns the decode engine's completion stream into chat chunks).
/// </summary>
[Trait("Category", "EndToEnd")]
[Collection(ChatRoutersCollection.Name)]
public sealed class ChatEndToEndTests(EngineClustersFixture clusters)
{
    private const int MaxTokens = 12;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public static TheoryData<string, int, double> Topologies => new()
    {
        { "disagg", 2, 0.0 },
        { "disagg", 2, 0.5 },
        { "disagg", 4, 0.0 },
        { "disagg", 4, 0.5 },
        { "round-robin", 3, 0.0 },
    };

    [Theory]
    [MemberData(nameof(Topologies))]
    public async Task GreedyChat_ThroughTheRouter_EqualsASingleEnginesChat(string mode, int engines, double balance)
    {
        using var router = await RouterAsync(mode, engines, balance);
        var tag = $"[{mode}/{engines}/{balance}]";
        var expected = Content(await DirectAsync(Body(tag, MaxTokens, stream: false)));

        var (status, answer) = await PostAsync(router, Body(tag, MaxTokens, stream: false), Token);
        var events = await StreamAsync(router, Body(tag, MaxTokens, stream: true), Token);

        Assert.True(status == HttpStatusCode.OK, answer.ToJsonString());
        Assert.Equal(expected, Content(answer));
        Assert.Equal("chat.completion", answer["object"]!.GetValue<string>());
        Assert.Equal("assistant", answer["choices"]![0]!["message"]!["role"]!.GetValue<string>());
        Assert.Equal(expected, JoinContent(events));
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(data => JsonNode.Parse(data)!.AsObject()).ToList();
        Assert.All(chunks, chunk => Assert.Equal("chat.completion.chunk", chunk["object"]!.GetValue<string>()));
        Assert.All(chunks, chunk => Assert.Equal(clusters.WithoutPrefixCache.Model, chunk["model"]?.GetValue<string>()));
        Assert.Single(chunks.Select(chunk => chunk["id"]!.GetValue<string>()).Distinct());
        Assert.Equal("assistant", chunks[0]["choices"]![0]!["delta"]!["role"]!.GetValue<string>());
        Assert.NotNull(chunks[^1]["choices"]![0]!["finish_reason"]);
        Assert.All(chunks, chunk => Assert.Null(chunk["usage"]));
    }

    [Theory]
    [MemberData(nameof(Topologies))]
    public async Task StreamedChat_WithIncludeUsage_EndsWithAUsageChunkWithoutEngineTimings(string mode, int engines, double balance)
    {
        using var router = await RouterAsync(mode, engines, balance);
        var body = Body($"[usage/{mode}/{engines}/{balance}]", MaxTokens, stream: true);
        body["stream_options"] = new JsonObject { ["include_usage"] = true };

        var events = await StreamAsync(router, body, Token);

        var usageChunk = JsonNode.Parse(events[^2])!.AsObject();
        Assert.Empty(usageChunk["choices"]!.AsArray());
        Assert.True(usageChunk["usage"]!["completion_tokens"]!.GetValue<int>() > 0);
        Assert.Null(usageChunk["usage"]!["extra"]);
    }

    [Fact]
    public async Task ChatWithSeveralChoices_RoundRobin_EqualsASingleEnginesChoices_DisaggRefusesIt()
    {
        using var router = await RouterAsync("round-robin", 3, 0.0);
        using var disagg = await RouterAsync("disagg", 2, 0.0);
        var body = Body("[n]", MaxTokens, stream: false);
        body["n"] = 3;
        body["temperature"] = 0.8;
        body["seed"] = 42;
        var expected = (await DirectAsync(body.DeepClone().AsObject()))["choices"]!.AsArray()
            .OrderBy(c => c!["index"]!.GetValue<int>()).Select(c => c!["message"]!["content"]!.GetValue<string>()).ToList();

        var (_, answer) = await PostAsync(router, body, Token);
        var (refused, error) = await PostAsync(disagg, body, Token);
        body["stream"] = true;
        var chunks = (await StreamAsync(router, body, Token))[..^1].Select(data => JsonNode.Parse(data)!).ToList();

        Assert.Equal(expected, answer["choices"]!.AsArray().OrderBy(c => c!["index"]!.GetValue<int>()).Select(c => c!["message"]!["content"]!.GetValue<string>()));
        Assert.Equal(expected, Enumerable.Range(0, 3).Select(i => string.Concat(chunks
            .SelectMany(chunk => chunk["choices"]!.AsArray())
            .Where(choice => choice!["index"]!.GetValue<int>() == i)
            .Select(choice => choice!["delta"]?["content"]?.GetValue<string>()))));
        Assert.Equal((HttpStatusCode.BadRequest, "n"), (refused, error["error"]!["param"]!.GetValue<string>()));
    }

    [Theory]
    [MemberData(nameof(Topologies))]
    public async Task BadChatInput_GetsA4xxOpenAIError(string mode, int engines, double balance)
    {
        using var router = await RouterAsync(mode, engines, balance);
        var huge = new string('x', 1) + string.Join(' ', Enumerable.Range(0, 5000).Select(i => $"w{i}"));
        JsonObject[] bad =
        [
            new() { ["max_tokens"] = 4 },
            new() { ["messages"] = new JsonArray() },
            new() { ["messages"] = new JsonArray(new JsonObject { ["role"] = "wizard", ["content"] = "hi" }) },
            new() { ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = 42 }) },
            new() { ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "hi" }, new JsonObject { ["role"] = "system", ["content"] = "late" }) },
            new() { ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = huge }), ["max_tokens"] = 4 },
        ];

        foreach (var body in bad)
        {
            var (status, answer) = await PostAsync(router, body, Token);

            Assert.True((int)status is >= 400 and < 500, $"{body.ToJsonString()[..Math.Min(120, body.ToJsonString().Length)]}: {(int)status} {answer.ToJsonString()}");
            Assert.False(string.IsNullOrEmpty(answer["error"]?["message"]?.GetValue<string>()), answer.ToJsonString());
        }
    }

    private Task<HttpClient> RouterAsync(string mode, int engines, double balance) => ChatRouters.ClientAsync(clusters, mode, engines, balance);

    private Task<JsonObject> DirectAsync(JsonObject body) => ChatRouters.DirectAsync(clusters, body, Token);
}
