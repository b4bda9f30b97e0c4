using System.Text.Json.Nodes;
using MlcAspire.Models.Chat;
using MlcAspire.Router;
using MlcAspire.Router.Protocol;

namespace MlcAspire.Tests.Unit.Router;

[Trait("Category", "Unit")]
public sealed class ChatRequestParserTests
{
    private static readonly ConversationTemplate Template = new()
    {
        SystemTemplate = "<s>{system_message}</s>",
        SystemMessage = "S",
        SystemPrefixTokenIds = [1],
        Roles = new Dictionary<string, string> { ["user"] = "U:", ["assistant"] = "A:" },
        Seps = ["|"],
        StopStrings = ["</s>"],
        StopTokenIds = [2],
    };

    [Theory]
    [InlineData("""{}""", "messages", "missing_required_parameter")]
    [InlineData("""{"messages":[]}""", "messages", "invalid_type")]
    [InlineData("""{"messages":"hi"}""", "messages", "invalid_type")]
    [InlineData("""{"messages":[{"role":"wizard","content":"hi"}]}""", "messages[0].role", "invalid_type")]
    [InlineData("""{"messages":[{"role":"user","content":42}]}""", "messages[0].content", "invalid_type")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"image_url","image_url":"x"}]}]}""", "messages[0].content[0]", "invalid_value")]
    [InlineData("""{"messages":[{"role":"user","content":"a"},{"role":"system","content":"b"}]}""", "messages[1].role", "invalid_value")]
    [InlineData("""{"messages":[{"role":"assistant","content":"a","tool_calls":[]}]}""", "messages[0].tool_calls", "invalid_value")]
    [InlineData("""{"messages":[{"role":"user","content":"a"}],"top_logprobs":2}""", "top_logprobs", "invalid_value")]
    [InlineData("""{"messages":[{"role":"user","content":"a"}],"stream_options":{"include_usage":true}}""", "stream_options", "invalid_value")]
    [InlineData("""{"messages":[{"role":"user","content":"a"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"maybe"}""", "tool_choice", "invalid_value")]
    public void Parse_BadChat_IsA400NamingTheField(string body, string param, string code)
    {
        var (request, error) = ChatRequestParser.Parse(JsonNode.Parse(body), "m", new RequestLimitsOptions());

        Assert.Null(request);
        Assert.Equal((400, param, code), (error!.StatusCode, error.Param, error.Code));
    }

    [Fact]
    public void Parse_TakesTheRoutersFields_MapsMaxCompletionTokens_AndAsksTheEngineForUsage()
    {
        var (request, _) = ChatRequestParser.Parse(JsonNode.Parse(
            """{"messages":[{"role":"user","content":"a"}],"user":"u","debug_config":{"ignore_eos":true},"max_completion_tokens":5,"stream":true}"""), "m", new RequestLimitsOptions());

        Assert.False(request!.Body.ContainsKey("user"));
        Assert.False(request.Body.ContainsKey("debug_config"));
        Assert.Equal(5, request.Body["max_tokens"]!.GetValue<int>());
        Assert.Equal("m", request.Body["model"]!.GetValue<string>());
        Assert.True(request.Body["stream_options"]!["include_usage"]!.GetValue<bool>());
        Assert.False(request.ClientWantsUsage);
        Assert.Equal(CompletionOperation.Chat, request.Operation);
    }

    [Fact]
    public void Render_WritesACompletionStyleRequest_WithTheTemplatesPromptIdsAndStops()
    {
        var (chat, _) = ChatRequestParser.Parse(JsonNode.Parse(
            """{"messages":[{"role":"system","content":"sys"},{"role":"user","content":"hi"}],"stop":"x","logprobs":true,"top_logprobs":3,"response_format":{"type":"json_object","schema":"{}"}}"""), "m", new RequestLimitsOptions());

        var (rendered, error) = ChatRequestParser.Render(chat!, Template, text => [.. text.Select(c => (int)c)]);

        Assert.Null(error);
        Assert.Equal([1, .. "<s>sys</s>U:hi|A:".Select(c => (int)c)], rendered!.PromptTokens);
        Assert.Equal(["x", "</s>"], rendered.Body["stop"]!.AsArray().Select(stop => stop!.GetValue<string>()));
        Assert.Equal(3, rendered.Body["logprobs"]!.GetValue<int>());
        Assert.False(rendered.Body.ContainsKey("messages"));
        Assert.False(rendered.Body.ContainsKey("top_logprobs"));
        Assert.Equal("""{"type":"json_object","schema":"{}"}""", rendered.Body["response_format"]!.ToJsonString());
        Assert.True(rendered.RenderedChat);
    }

    [Fact]
    public void Render_FunctionCalling_IsA400NamingTheLimit_RoleTheTemplateLacksToo()
    {
        var (withTools, _) = ChatRequestParser.Parse(JsonNode.Parse(
            """{"messages":[{"role":"user","content":"a"}],"tools":[{"type":"function","function":{"name":"f","parameters":{}}}]}"""), "m", new RequestLimitsOptions());
        var (withTool, _) = ChatRequestParser.Parse(JsonNode.Parse("""{"messages":[{"role":"tool","content":"42","tool_call_id":"c"}]}"""), "m", new RequestLimitsOptions());

        var (_, toolsError) = ChatRequestParser.Render(withTools!, Template, _ => []);
        var (_, roleError) = ChatRequestParser.Render(withTool!, Template, _ => []);

        Assert.Equal(("tools", "unsupported_parameter"), (toolsError!.Param, toolsError.Code));
        Assert.Contains("disaggregated", toolsError.Message, StringComparison.Ordinal);
        Assert.Equal("messages", roleError!.Param);
    }
}
