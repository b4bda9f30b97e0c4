using System.ClientModel;
using System.Data.Common;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.AI;
using OpenAI;

namespace MlcAspire.Tests.EndToEnd.Chat;

/// <summary>
/// What a project that references the router's connection string does (README, "Clients"): read
/// <c>Endpoint=…;Model=…</c>, build the OpenAI client's <see cref="IChatClient"/> from it, and chat, against the
/// AppHost's default deployment started by Aspire.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class RouterConnectionStringTests(AspireAppFixture fixture) : IClassFixture<AspireAppFixture>
{
    [Fact]
    public async Task ConsumingProject_BuildsAnIChatClientFromTheConnectionString_AndGetsTheRoutersAnswer()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var connectionString = await fixture.App.Application.GetConnectionStringAsync("router-connection", cancellationToken);

        var settings = new DbConnectionStringBuilder { ConnectionString = connectionString };
        using var client = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri($"{settings["Endpoint"]}/v1") })
            .GetChatClient((string)settings["Model"]).AsIChatClient();
        var response = await client.GetResponseAsync(
            [new ChatMessage(ChatRole.User, "Name the router's engines.")], new ChatOptions { Temperature = 0, MaxOutputTokens = 6 }, cancellationToken);

        Assert.Equal(fixture.App.GetEndpoint("router").ToString().TrimEnd('/'), (string)settings["Endpoint"]);
        Assert.Equal("models/reference-tiny", response.ModelId);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(6, response.Usage?.OutputTokenCount);
        Assert.False(string.IsNullOrEmpty(response.Text));
    }
}
