using MlcAspire.Tests.EndToEnd.Chat;

namespace MlcAspire.Tests.Unit.Router;

/// <summary>The schema check the conformance tests rely on fails on what MLC engines send before the router shapes it.</summary>
[Trait("Category", "Unit")]
public sealed class OpenAISchemasTests
{
    [Theory]
    [InlineData("CreateChatCompletionStreamResponse", """{"id":"c","object":"chat.completion.chunk","created":1,"model":null,"choices":[]}""")]
    [InlineData("CreateChatCompletionStreamResponse", """{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"a","tool_calls":null},"logprobs":null,"finish_reason":null}]}""")]
    [InlineData("CreateChatCompletionResponse", """{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"a"},"logprobs":null,"finish_reason":"stop"}]}""")]
    [InlineData("CreateCompletionResponse", """{"id":"c","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":"a","logprobs":{"text_offset":null,"token_logprobs":[],"tokens":[],"top_logprobs":[]},"finish_reason":null}],"usage":null}""")]
    public async Task SchemaCheck_RejectsWhatMlcEnginesSendUnchanged(string component, string json)
    {
        Assert.NotEmpty(await OpenAISchemas.ValidateAsync(component, json, streamChunk: true));
    }
}
