using System.Text;
using System.Text.Json.Nodes;
using MlcAspire.Router.Forwarding;

namespace MlcAspire.Tests.Unit.Router;

[Trait("Category", "Unit")]
public sealed class RetryDeduplicatorTests
{
    [Fact]
    public void Rewrite_OnRetry_SkipsExactlyTheTextAlreadySentPerChoice_AndKeepsTheClientId()
    {
        var deduplicator = new RetryDeduplicator("cmpl-client");
        deduplicator.RecordSent(CompletionChunk.Scan(Chunk("cmpl-client", (0, "Hel", null), (1, "W", null))));
        deduplicator.RecordSent(CompletionChunk.Scan(Chunk("cmpl-client", (0, "l", null))));
        deduplicator.BeginRetry();

        var first = deduplicator.Rewrite(Chunk("cmpl-retry", (0, "He", null), (1, "W", null)));
        var second = deduplicator.Rewrite(Chunk("cmpl-retry", (0, "llo", null), (1, "or", null)));
        var last = deduplicator.Rewrite(Chunk("cmpl-retry", (0, "!", "stop"), (1, "", "stop")));

        Assert.Null(first);
        var secondJson = JsonNode.Parse(second!)!;
        Assert.Equal("cmpl-client", secondJson["id"]!.GetValue<string>());
        Assert.Equal("o", secondJson["choices"]![0]!["text"]!.GetValue<string>());
        Assert.Equal("or", secondJson["choices"]![1]!["text"]!.GetValue<string>());
        Assert.Equal(2, JsonNode.Parse(last!)!["choices"]!.AsArray().Count);
        Assert.False(deduplicator.Diverged);
    }

    [Fact]
    public void Rewrite_ChatChunksOnRetry_SkipTheDeltaContentAlreadySent()
    {
        static byte[] ChatChunk(string id, string content, string? finish) => Encoding.UTF8.GetBytes(new JsonObject
        {
            ["id"] = id,
            ["object"] = "chat.completion.chunk",
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = new JsonObject { ["content"] = content, ["role"] = "assistant" }, ["finish_reason"] = finish }),
        }.ToJsonString());
        var deduplicator = new RetryDeduplicator("chatcmpl-client");
        deduplicator.RecordSent(CompletionChunk.Scan(ChatChunk("chatcmpl-client", "Hel", null)));
        deduplicator.BeginRetry();

        var first = deduplicator.Rewrite(ChatChunk("chatcmpl-retry", "He", null));
        var second = JsonNode.Parse(deduplicator.Rewrite(ChatChunk("chatcmpl-retry", "llo", "stop"))!)!;

        Assert.Null(first);
        Assert.Equal("chatcmpl-client", second["id"]!.GetValue<string>());
        Assert.Equal("lo", second["choices"]![0]!["delta"]!["content"]!.GetValue<string>());
        Assert.False(deduplicator.Diverged);
    }

    [Theory]
    [InlineData("Hal", null)]
    [InlineData("He", "stop")]
    public void Rewrite_ARetryThatDoesNotRepeatTheTextSent_Diverges_AndSendsNothing(string text, string? finish)
    {
        var deduplicator = new RetryDeduplicator("cmpl-client");
        deduplicator.RecordSent(CompletionChunk.Scan(Chunk("cmpl-client", (0, "Hel", null))));
        deduplicator.BeginRetry();

        Assert.Null(deduplicator.Rewrite(Chunk("cmpl-retry", (0, text, finish))));
        Assert.True(deduplicator.Diverged);
    }

    [Fact]
    public void Scan_FindsTextsFinishReasonsAndErrors()
    {
        var chunk = CompletionChunk.Scan(Chunk("x", (0, "h\u00e9\\\"", "preempt"), (2, "", null)));

        Assert.Equal([new ChoiceSummary(0, "h\u00e9\\\"", "preempt"), new ChoiceSummary(2, "", null)], chunk.Choices);
        Assert.True(chunk.IsPreempted);
        Assert.True(CompletionChunk.Scan("""{"error":{"message":"m"}}"""u8).IsError);
        Assert.False(CompletionChunk.Scan(Encoding.UTF8.GetBytes("""{"choices":[{"text":"preempt","finish_reason":null}]}""")).IsPreempted);
    }

    private static byte[] Chunk(string id, params (int Index, string Text, string? Finish)[] choices) =>
        Encoding.UTF8.GetBytes(new JsonObject
        {
            ["id"] = id,
            ["choices"] = new JsonArray([.. choices.Select(c => (JsonNode)new JsonObject { ["finish_reason"] = c.Finish, ["index"] = c.Index, ["logprobs"] = null, ["text"] = c.Text })]),
            ["object"] = "text_completion",
        }.ToJsonString());
}
