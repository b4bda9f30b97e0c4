using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MlcAspire.Router;
using MlcAspire.Router.Forwarding;
using MlcAspire.Router.Protocol;

namespace MlcAspire.Tests.Unit.Router;

[Trait("Category", "Unit")]
public sealed class CompletionPatchTests
{
    private const string Model = "/models/tiny";

    /// <summary>Engine answers the patch takes: it must give what the tree path gives, as JSON.</summary>
    public static TheoryData<string> Patchable =>
    [
        """{"id":"cmpl-e","choices":[{"finish_reason":"length","index":0,"logprobs":null,"text":" N a"}],"created":1,"model":"other","object":"text_completion","usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7,"extra":{"ttft_s":0.02,"nested":[1,{"a":2}]}}}""",
        """{"usage":{"extra":{"x":1},"prompt_tokens":3,"completion_tokens":4},"model":"m","choices":[{"index":0,"text":"a","finish_reason":"stop"}],"id":"e"}""",
        """{"usage":{"extra":{"x":1}},"model":"m","choices":[],"id":"e"}""",
        """{"id":"e","model":"m","choices":[{"index":0,"text":"\u00e9<&>\"\\","finish_reason":null}],"usage":{"prompt_tokens":1, "extra" : {} , "completion_tokens":2}}""",
        """  { "id" : "e" , "model" : "m" , "choices" : [ { "index" : 0 , "text" : "é😀" , "finish_reason" : "stop" } ] , "usage" : null , "error" : null }  """,
        """{"id":"e","model":"m","choices":[{"index":0,"text":"a","finish_reason":"stop"},{"index":1,"text":"b","finish_reason":"length"}],"usage":{"prompt_tokens":1,"completion_tokens":2}}""",
        """{"id":"e","model":"m","choices":[{"index":0,"text":"a","finish_reason":"stop","message":null,"logprobs":null}],"extra":{"kept":true}}""",
    ];

    /// <summary>Engine answers that need the tree path (or its errors): the patch must decline them.</summary>
    public static TheoryData<string> Declined =>
    [
        """[]""",
        """{"id":"e","model":"m"}""",
        """{"id":"e","model":"m","choices":{}}""",
        """{"id":"e","model":"m","choices":[1]}""",
        """{"id":"e","model":"m","choices":[{"finish_reason":"preempt"}]}""",
        """{"id":"e","model":"m","choices":[{"finish_reason":3}]}""",
        """{"id":"e","model":"m","choices":[{"finish_reason":"stop","finish_reason":"stop"}]}""",
        """{"id":"e","model":"m","choices":[{"logprobs":{"text_offset":null,"tokens":["a"]}}]}""",
        """{"id":"e","model":"m","choices":[{"message":{"role":"assistant","tool_calls":null}}]}""",
        """{"id":"e","model":"m","choices":[],"error":{"message":"boom"}}""",
        """{"id":"e","model":"m","choices":[],"error":"boom"}""",
        """{"model":"m","choices":[]}""",
        """{"id":"e","choices":[]}""",
        """{"id":7,"model":"m","choices":[]}""",
        """{"id":"e","id":"f","model":"m","choices":[]}""",
        """{"id":"e","model":"m","choices":[],"usage":{"extra":1,"extra":2}}""",
        """{"id":"e","model":"m","choices":[]} {}""",
        """{"id":"e","model":"m","choices":[""",
        """{"id":"e","model":"m","choices":[],}""",
    ];

    [Theory]
    [MemberData(nameof(Patchable))]
    public void Answer_Patched_EqualsTheTreePathsAnswer(string engineAnswer)
    {
        var shaper = Shaper(stream: false);
        var body = Encoding.UTF8.GetBytes(engineAnswer);

        var patched = shaper.TryPatchAnswer(body);

        Assert.NotNull(patched);
        var tree = JsonNode.Parse(body)!.AsObject();
        tree["id"] = "cmpl-client";
        tree["model"] = Model;
        Assert.True(JsonNode.DeepEquals(shaper.ShapeAnswer(tree), JsonNode.Parse(patched)), Encoding.UTF8.GetString(patched));
    }

    [Theory]
    [MemberData(nameof(Declined))]
    public void Answer_NeedingMoreThanAPatch_IsDeclined(string engineAnswer) =>
        Assert.Null(Shaper(stream: false).TryPatchAnswer(Encoding.UTF8.GetBytes(engineAnswer)));

    [Fact]
    public void Answer_KeepsTheEnginesBytes_ButIdModelAndExtra()
    {
        var body = """{"id":"e","choices":[{"index":0,"text":"é\u00e9 <b>","finish_reason":"stop"}],"model":"m","usage":{"prompt_tokens":1,"extra":{"a":1},"completion_tokens":2}}""";

        var patched = CompletionPatch.TryPatch(Encoding.UTF8.GetBytes(body), "cmpl-\"q\"", "é");

        Assert.Equal("""{"id":"cmpl-\u0022q\u0022","choices":[{"index":0,"text":"é\u00e9 <b>","finish_reason":"stop"}],"model":"\u00E9","usage":{"prompt_tokens":1,"completion_tokens":2}}""",
            Encoding.UTF8.GetString(patched!));
    }

    [Theory]
    [InlineData("""{"usage":{"extra":{}}}""", """{"usage":{}}""")]
    [InlineData("""{"usage":{"extra":{},"a":1}}""", """{"usage":{"a":1}}""")]
    [InlineData("""{"usage":{"a":1,"extra":{}}}""", """{"usage":{"a":1}}""")]
    [InlineData("""{"usage":{"a":1, "extra":[{}] ,"b":2}}""", """{"usage":{"a":1 ,"b":2}}""")]
    [InlineData("""{"usage":{ "extra":null , "b":2}}""", """{"usage":{ "b":2}}""")]
    public void Chunk_UsageExtra_IsCutWithItsComma(string usage, string expected)
    {
        var chunk = usage[..^1] + ""","choices":[]}""";

        var patched = CompletionPatch.TryPatch(Encoding.UTF8.GetBytes(chunk), null, null);

        Assert.Equal(expected[..^1] + ""","choices":[]}""", Encoding.UTF8.GetString(patched!));
    }

    [Fact]
    public void StreamedUsageChunk_Patched_EqualsTheTreePathsChunk()
    {
        var shaper = Shaper(stream: true);
        var chunk = Encoding.UTF8.GetBytes("""{"id":"e","object":"text_completion","created":5,"model":"m","choices":[],"usage":{"prompt_tokens":3,"extra":{"ttft_s":1},"completion_tokens":2,"total_tokens":5}}""");

        var shaped = Assert.Single(shaper.Shape(chunk, CompletionChunk.Scan(chunk)));

        var expected = JsonNode.Parse(chunk)!.AsObject();
        expected["usage"]!.AsObject().Remove("extra");
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(shaped.Span)));
    }

    private static ResponseShaper Shaper(bool stream)
    {
        var body = stream
            ? """{"prompt":"hi","stream":true,"stream_options":{"include_usage":true}}"""
            : """{"prompt":"hi"}""";
        var (request, error) = CompletionRequestParser.Parse(JsonNode.Parse(body), "", new RequestLimitsOptions());
        Assert.Null(error);
        return new ResponseShaper(request!, "cmpl-client", Model);
    }
}
