using System.Text;
using System.Text.Json.Nodes;
using MlcAspire.Router.Forwarding;
using MlcAspire.Router;
using MlcAspire.Router.Protocol;

namespace MlcAspire.Tests.Unit.Router;

[Trait("Category", "Unit")]
public sealed class ResponseShaperTests
{
    [Fact]
    public void RenderedChat_CompletionChunks_BecomeChatChunks_RoleFirst_UsageOnlyWhenAsked()
    {
        var shaper = new ResponseShaper(Rendered("""{"messages":[{"role":"user","content":"hi"}],"stream":true}"""), "chatcmpl-c", "m");

        var first = Shape(shaper, """{"id":"e","object":"text_completion","created":5,"model":"m","choices":[{"index":0,"text":"He","finish_reason":null,"logprobs":null}],"usage":null}""");
        var last = Shape(shaper, """{"id":"e","object":"text_completion","created":5,"model":"m","choices":[{"index":0,"text":"y","finish_reason":"stop","logprobs":null}],"usage":null}""");
        var usage = Shape(shaper, """{"id":"e","object":"text_completion","created":5,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5,"extra":{"ttft_s":1}}}""");

        Assert.Equal(2, first.Count);
        Assert.Equal("chat.completion.chunk", first[0]["object"]!.GetValue<string>());
        Assert.Equal("""{"role":"assistant","content":""}""", Assert.Single(first[0]["choices"]!.AsArray())!["delta"]!.ToJsonString());
        Assert.Equal("chatcmpl-c", first[1]["id"]!.GetValue<string>());
        Assert.Equal("He", first[1]["choices"]![0]!["delta"]!["content"]!.GetValue<string>());
        Assert.Equal("stop", Assert.Single(last)["choices"]![0]!["finish_reason"]!.GetValue<string>());
        Assert.Empty(usage);
    }

    [Fact]
    public void RenderedChat_Answer_BecomesAChatCompletion_WithChatLogprobs_AndNoEngineTimings()
    {
        var shaper = new ResponseShaper(Rendered("""{"messages":[{"role":"user","content":"hi"}],"logprobs":true,"top_logprobs":1}"""), "chatcmpl-c", "m");
        var answer = JsonNode.Parse("""
            {"id":"chatcmpl-c","object":"text_completion","created":5,"model":"m","usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4,"extra":{}},
             "choices":[{"index":0,"text":"é","finish_reason":"length","logprobs":{"text_offset":null,"token_logprobs":[-0.5],"tokens":["é"],"top_logprobs":[{"é":-0.5}]}}]}
            """)!.AsObject();

        var chat = shaper.ShapeAnswer(answer);

        Assert.Equal("chat.completion", chat["object"]!.GetValue<string>());
        var choice = chat["choices"]![0]!;
        Assert.Equal("é", choice["message"]!["content"]!.GetValue<string>());
        Assert.Null(choice["message"]!["refusal"]);
        var token = choice["logprobs"]!["content"]![0]!;
        Assert.Equal([0xC3, 0xA9], token["bytes"]!.AsArray().Select(b => b!.GetValue<int>()));
        Assert.Equal(-0.5, token["top_logprobs"]![0]!["logprob"]!.GetValue<double>());
        Assert.False(chat["usage"]!.AsObject().ContainsKey("extra"));
    }

    [Fact]
    public void TextCompletion_ChunkNeedingNothing_PassesAsTheEnginesBytes_AndTextOffsetsCountAcrossChunks()
    {
        var (request, _) = CompletionRequestParser.Parse(JsonNode.Parse("""{"prompt":"hi","stream":true,"logprobs":1}"""), "", new RequestLimitsOptions());
        var shaper = new ResponseShaper(request!, "cmpl-c", "m");
        var plain = Encoding.UTF8.GetBytes("""{"id":"e","choices":[{"index":0,"text":"ab","finish_reason":null,"logprobs":{"text_offset":[0],"token_logprobs":[-1],"tokens":["ab"],"top_logprobs":[]}}],"usage":null}""");

        var passed = shaper.Shape(plain, CompletionChunk.Scan(plain));
        var offsets = Shape(shaper, """{"id":"e","choices":[{"index":0,"text":"cde","finish_reason":null,"logprobs":{"text_offset":null,"token_logprobs":[-1,-1],"tokens":["c","de"],"top_logprobs":[]}}],"usage":null}""");
        var next = Shape(shaper, """{"id":"e","choices":[{"index":0,"text":"f","finish_reason":"stop","logprobs":{"text_offset":null,"token_logprobs":[-1],"tokens":["f"],"top_logprobs":[]}}],"usage":null}""");

        Assert.True(Assert.Single(passed).Span.SequenceEqual(plain));
        Assert.Equal([0, 1], offsets[0]["choices"]![0]!["logprobs"]!["text_offset"]!.AsArray().Select(o => o!.GetValue<int>()));
        Assert.Equal([3], next[0]["choices"]![0]!["logprobs"]!["text_offset"]!.AsArray().Select(o => o!.GetValue<int>()));
    }

    [Fact]
    public void EngineChat_NullToolCallsRemoved_RefusalAdded_UsageKeptWhenAsked()
    {
        var (request, _) = ChatRequestParser.Parse(JsonNode.Parse("""{"messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}"""), "", new RequestLimitsOptions());
        var shaper = new ResponseShaper(request!, "chatcmpl-c", "m");

        var chunk = Shape(shaper, """{"id":"chatcmpl-c","choices":[{"index":0,"delta":{"content":"a","role":"assistant","name":null,"tool_calls":null,"tool_call_id":null},"finish_reason":null,"logprobs":null}],"object":"chat.completion.chunk","usage":null}""");
        var usage = Shape(shaper, """{"id":"chatcmpl-c","choices":[],"object":"chat.completion.chunk","usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2,"extra":{"ttft_s":1}}}""");
        var answer = shaper.ShapeAnswer(JsonNode.Parse("""{"choices":[{"index":0,"message":{"content":"a","role":"assistant","tool_calls":null},"finish_reason":"stop"}]}""")!.AsObject());

        Assert.Equal("""{"content":"a","role":"assistant"}""", chunk[0]["choices"]![0]!["delta"]!.ToJsonString());
        Assert.Equal("""{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}""", usage[0]["usage"]!.ToJsonString());
        Assert.Equal("""{"content":"a","role":"assistant","refusal":null}""", answer["choices"]![0]!["message"]!.ToJsonString());
    }

    private static CompletionRequest Rendered(string body)
    {
        var (chat, error) = ChatRequestParser.Parse(JsonNode.Parse(body), "", new RequestLimitsOptions());
        Assert.Null(error);
        var (rendered, renderError) = ChatRequestParser.Render(chat!, MlcAspire.Tests.Unit.Models.MlcTemplates.Get("chatml"), text => [.. text.Select(c => (int)c)]);
        Assert.Null(renderError);
        return rendered!;
    }

    private static List<JsonObject> Shape(ResponseShaper shaper, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        return [.. shaper.Shape(bytes, CompletionChunk.Scan(bytes)).Select(payload => JsonNode.Parse(payload.Span)!.AsObject())];
    }
}
