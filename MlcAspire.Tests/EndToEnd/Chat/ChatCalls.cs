using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace MlcAspire.Tests.EndToEnd.Chat;

/// <summary>Chat requests over HTTP, read as OpenAI clients read them: a whole answer, or SSE events to <c>[DONE]</c>.</summary>
internal static class ChatCalls
{
    public const string Path = "/v1/chat/completions";

    /// <summary>A greedy chat request for a conversation tagged so no other test's prompt shares its prefix.</summary>
    public static JsonObject Body(string tag, int maxTokens, bool stream) => new()
    {
        ["messages"] = new JsonArray(
            new JsonObject { ["role"] = "system", ["content"] = "Answer briefly." },
            new JsonObject { ["role"] = "user", ["content"] = $"{tag} How does the router hand a request from prefill to decode?" },
            new JsonObject { ["role"] = "assistant", ["content"] = "With MicroServing calls." },
            new JsonObject { ["role"] = "user", ["content"] = "And then?" }),
        ["max_tokens"] = maxTokens,
        ["temperature"] = 0,
        ["stream"] = stream,
    };

    public static async Task<(HttpStatusCode Status, JsonObject Body)> PostAsync(HttpClient client, JsonObject body, CancellationToken cancellationToken)
    {
        using var response = await client.PostAsync(Path, new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return (response.StatusCode, JsonNode.Parse(text) as JsonObject ?? throw new InvalidDataException($"Not a JSON object: {text}"));
    }

    /// <summary>Every <c>data:</c> payload of a streamed answer, <c>[DONE]</c> included.</summary>
    public static async Task<List<string>> StreamAsync(HttpClient client, JsonObject body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return [.. text.Split('\n').Where(line => line.StartsWith("data: ", StringComparison.Ordinal)).Select(line => line["data: ".Length..])];
    }

    /// <summary>The first choice's content, joined from a stream's deltas.</summary>
    public static string JoinContent(IEnumerable<string> events) => string.Concat(events
        .Where(data => data != "[DONE]")
        .Select(data => JsonNode.Parse(data)!["choices"]!.AsArray().FirstOrDefault(c => c!["index"]!.GetValue<int>() == 0)?["delta"]?["content"]?.GetValue<string>()));

    public static string Content(JsonObject answer) => answer["choices"]![0]!["message"]!["content"]!.GetValue<string>();
}
