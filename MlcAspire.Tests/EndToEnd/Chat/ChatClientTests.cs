using System.ClientModel;
using System.Text;
using Microsoft.Extensions.AI;
using MlcAspire.Tests.EndToEnd.Router;
using OpenAI;
using OpenAI.Chat;
using static MlcAspire.Tests.EndToEnd.Chat.ChatCalls;

namespace MlcAspire.Tests.EndToEnd.Chat;

/// <summary>
/// The clients .NET developers already use, unchanged, against real routers: the OpenAI SDK's <see cref="ChatClient"/> and
/// Microsoft.Extensions.AI's <see cref="IChatClient"/> over it. Greedy answers equal a single engine's chat answer.
/// </summary>
[Trait("Category", "EndToEnd")]
[Collection(ChatRoutersCollection.Name)]
public sealed class ChatClientTests(EngineClustersFixture clusters)
{
    private const int MaxTokens = 10;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public static TheoryData<string, int> Modes => new() { { "disagg", 2 }, { "disagg", 4 }, { "round-robin", 3 } };

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task OpenAIChatClient_CompletesAndStreams_AsASingleEngineAnswers(string mode, int engines)
    {
        var tag = $"[sdk/{mode}/{engines}]";
        var expected = Content(await ChatRouters.DirectAsync(clusters, Body(tag, MaxTokens, stream: false), Token));
        var client = await OpenAIChatClientAsync(mode, engines);
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = MaxTokens };

        ChatCompletion completion = await client.CompleteChatAsync(OpenAIMessages(tag), options, Token);
        var streamed = new StringBuilder();
        ChatTokenUsage? usage = null;
        await foreach (var update in client.CompleteChatStreamingAsync(OpenAIMessages(tag), options, Token))
        {
            streamed.Append(string.Concat(update.ContentUpdate.Select(part => part.Text)));
            usage ??= update.Usage;
        }

        Assert.Equal(expected, completion.Content[0].Text);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.Equal(ChatRouters.Model(clusters), completion.Model);
        Assert.True(completion.Usage.OutputTokenCount > 0);
        Assert.Equal(expected, streamed.ToString());
        Assert.NotNull(usage);
        Assert.Equal(completion.Usage.OutputTokenCount, usage.OutputTokenCount);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task ExtensionsAIChatClient_GetsAndStreamsResponses_AsASingleEngineAnswers(string mode, int engines)
    {
        var tag = $"[meai/{mode}/{engines}]";
        var expected = Content(await ChatRouters.DirectAsync(clusters, Body(tag, MaxTokens, stream: false), Token));
        using var chatClient = (await OpenAIChatClientAsync(mode, engines)).AsIChatClient();
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = MaxTokens };

        var response = await chatClient.GetResponseAsync(ExtensionsMessages(tag), options, Token);
        var streamed = new StringBuilder();
        await foreach (var update in chatClient.GetStreamingResponseAsync(ExtensionsMessages(tag), options, Token))
        {
            streamed.Append(update.Text);
        }

        Assert.Equal(expected, response.Text);
        Assert.Equal(ChatRole.Assistant, response.Messages[^1].Role);
        Assert.True(response.Usage?.OutputTokenCount > 0);
        Assert.Equal(expected, streamed.ToString());
    }

    private async Task<ChatClient> OpenAIChatClientAsync(string mode, int engines)
    {
        var router = await ChatRouters.AddressAsync(clusters, mode, engines, 0.0);
        return new ChatClient(ChatRouters.Model(clusters), new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(router, "/v1") });
    }

    /// <summary>The conversation of <see cref="ChatCalls.Body"/>, as the OpenAI SDK's messages.</summary>
    private static List<OpenAI.Chat.ChatMessage> OpenAIMessages(string tag) =>
    [
        new SystemChatMessage("Answer briefly."),
        new UserChatMessage($"{tag} How does the router hand a request from prefill to decode?"),
        new AssistantChatMessage("With MicroServing calls."),
        new UserChatMessage("And then?"),
    ];

    private static List<Microsoft.Extensions.AI.ChatMessage> ExtensionsMessages(string tag) =>
    [
        new(ChatRole.System, "Answer briefly."),
        new(ChatRole.User, $"{tag} How does the router hand a request from prefill to decode?"),
        new(ChatRole.Assistant, "With MicroServing calls."),
        new(ChatRole.User, "And then?"),
    ];
}
