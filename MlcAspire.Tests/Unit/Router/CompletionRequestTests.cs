using System.Text.Json.Nodes;
using MlcAspire.Router;
using MlcAspire.Router.Protocol;

namespace MlcAspire.Tests.Unit.Router;

[Trait("Category", "Unit")]
public sealed class CompletionRequestTests
{
    [Fact]
    public void CreateEngineBody_CarriesTheClientsFields_TheAttemptId_AndTheRoutersDebugConfig()
    {
        var request = Parse("""{"prompt":"Hi","max_tokens":4,"user":"alice","debug_config":{"ignore_eos":true},"stop":["\n"],"response_format":{"type":"json_object","schema":"{}"}}""");

        var body = Read(request.CreateEngineBody("cmpl-1"));

        Assert.Equal("Hi", body["prompt"]!.GetValue<string>());
        Assert.Equal(4, body["max_tokens"]!.GetValue<int>());
        Assert.Equal("""["\n"]""", body["stop"]!.ToJsonString());
        Assert.Equal("{}", body["response_format"]!["schema"]!.GetValue<string>());
        Assert.Equal("cmpl-1", body["user"]!.GetValue<string>());
        Assert.False(body["debug_config"]!["ignore_eos"]!.GetValue<bool>());
        Assert.Null(body["stream"]);
    }

    [Fact]
    public void CreateEngineBody_TheCallsFieldsReplaceTheClientsOfTheSameName_WithoutRepeatingTheKey()
    {
        var request = Parse("""{"prompt":[1,2,3],"stream":false,"max_tokens":64}""");

        var written = request.CreateEngineBody("cmpl-1", ("begin", 2), ("stream", true), ("max_tokens", 1), ("kv_addr_info", null));
        var text = System.Text.Encoding.UTF8.GetString(written.Json.Span);

        var body = Read(written);
        Assert.True(body["stream"]!.GetValue<bool>());
        Assert.Equal(1, body["max_tokens"]!.GetValue<int>());
        Assert.Equal(2, body["begin"]!.GetValue<int>());
        Assert.True(body.ContainsKey("kv_addr_info"));
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(text, "\"stream\""));
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(text, "\"max_tokens\""));
        Assert.Equal(3, written.PromptTokens);
        Assert.Equal(2, written["begin"]!.GetValue<int>());
        Assert.Null(written["max_tokens_unknown"]);
    }

    [Fact]
    public void UseTokens_EveryLaterBodyCarriesTheIds_AndTheClientsBodyKeepsItsText()
    {
        var request = Parse("""{"prompt":"Hello world","seed":7}""");
        _ = request.CreateEngineBody("cmpl-0");

        request.UseTokens([5, 6, 7]);
        var first = Read(request.CreateEngineBody("cmpl-1", ("end", -1)));
        var second = Read(request.CreateEngineBody("cmpl-1", ("begin", 2)));

        Assert.Equal("[5,6,7]", first["prompt"]!.ToJsonString());
        Assert.Equal("[5,6,7]", second["prompt"]!.ToJsonString());
        Assert.Equal(7, second["seed"]!.GetValue<int>());
        Assert.Equal("Hello world", request.Body["prompt"]!.GetValue<string>());
    }

    private static CompletionRequest Parse(string json)
    {
        var (request, error) = CompletionRequestParser.Parse(JsonNode.Parse(json), "", new RequestLimitsOptions());
        Assert.Null(error);
        return request!;
    }

    private static JsonObject Read(EngineRequestBody body) => JsonNode.Parse(body.Json.Span)!.AsObject();
}
