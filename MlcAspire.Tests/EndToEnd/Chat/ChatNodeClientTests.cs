using System.Diagnostics;
using System.Text.Json.Nodes;
using MlcAspire.Tests.EndToEnd.Router;
using static MlcAspire.Tests.EndToEnd.Chat.ChatCalls;

namespace MlcAspire.Tests.EndToEnd.Chat;

/// <summary>
/// The OpenAI Node SDK, unchanged, against real routers (<c>node/chat.mjs</c>; its package is installed by <c>.ci/run</c>
/// with <c>npm ci</c> from the committed lockfile): greedy answers equal a single engine's, the stream starts with the
/// assistant role and ends with usage, and a bad request surfaces as the SDK's 400 error.
/// </summary>
[Trait("Category", "EndToEnd")]
[Collection(ChatRoutersCollection.Name)]
public sealed class ChatNodeClientTests(EngineClustersFixture clusters)
{
    private const int MaxTokens = 10;
    private static readonly string ScriptDirectory = System.IO.Path.Combine(RepositoryPaths.Root, "MlcAspire.Tests", "EndToEnd", "Chat", "node");

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("disagg", 2)]
    [InlineData("round-robin", 3)]
    public async Task OpenAINodeSdk_CompletesStreamsAndSeesErrors(string mode, int engines)
    {
        var tag = $"[node/{mode}/{engines}]";
        var expected = Content(await ChatRouters.DirectAsync(clusters, Body(tag, MaxTokens, stream: false), Token));
        var router = await ChatRouters.AddressAsync(clusters, mode, engines, 0.0);

        var result = await RunNodeAsync(new Uri(router, "/v1").ToString(), ChatRouters.Model(clusters), tag, MaxTokens.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(expected, result["content"]!.GetValue<string>());
        Assert.Equal(ChatRouters.Model(clusters), result["model"]!.GetValue<string>());
        Assert.Equal(expected, result["streamed"]!.GetValue<string>());
        Assert.Equal("assistant", result["streamedRole"]!.GetValue<string>());
        Assert.Equal(result["usage"]!["completion_tokens"]!.GetValue<int>(), result["streamedUsage"]!["completion_tokens"]!.GetValue<int>());
        Assert.Equal(400, result["error"]!["status"]!.GetValue<int>());
    }

    private static async Task<JsonObject> RunNodeAsync(params string[] args)
    {
        Assert.True(Directory.Exists(System.IO.Path.Combine(ScriptDirectory, "node_modules", "openai")),
            $"The Node client is not installed: run 'npm ci' in {ScriptDirectory} (.ci/run does).");
        var start = new ProcessStartInfo("node") { WorkingDirectory = ScriptDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("chat.mjs");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var node = Process.Start(start)!;
        var output = node.StandardOutput.ReadToEndAsync(Token);
        var errors = node.StandardError.ReadToEndAsync(Token);
        try
        {
            await node.WaitForExitAsync(Token).WaitAsync(AspireApp.StartTimeout, Token);
        }
        finally
        {
            if (!node.HasExited)
            {
                node.Kill(entireProcessTree: true);
            }
        }

        Assert.True(node.ExitCode == 0, $"node exited with {node.ExitCode}: {await errors}");
        return JsonNode.Parse(await output)!.AsObject();
    }
}
