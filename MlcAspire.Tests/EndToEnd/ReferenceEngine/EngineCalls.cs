using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MlcAspire.Tests.EndToEnd.ReferenceEngine;

/// <summary>Raw HTTP calls to an engine, so tests see the wire exactly as a router would.</summary>
internal static class EngineCalls
{
    /// <summary>Token ids drawn from a seed, below the tokenizer's special ids.</summary>
    public static int[] Prompt(int seed, int length)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(_ => random.Next(0, 1000))];
    }

    /// <summary>A greedy request body with log-probabilities, so equal outputs mean equal tokens and equal logits.</summary>
    public static JsonObject GreedyBody(int[] prompt, int maxTokens = 12, string? user = null) => new()
    {
        ["prompt"] = new JsonArray([.. prompt.Select(t => (JsonNode)t)]),
        ["max_tokens"] = maxTokens,
        ["temperature"] = 0,
        ["logprobs"] = 1,
        ["user"] = user,
        ["debug_config"] = new JsonObject { ["ignore_eos"] = true },
    };

    public static async Task<HttpResponseMessage> PostAsync(HttpClient client, string path, JsonNode body, CancellationToken cancellationToken, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        return await client.SendAsync(request, completion, cancellationToken);
    }

    public static async Task<JsonNode> PostOkAsync(HttpClient client, string path, JsonNode body, CancellationToken cancellationToken)
    {
        using var response = await PostAsync(client, path, body, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>The generated text and per-token log-probabilities of choice 0 of a non-stream completion.</summary>
    public static Generation ReadGeneration(JsonNode completion) => new(
        completion["choices"]![0]!["text"]!.GetValue<string>(),
        [.. completion["choices"]![0]!["logprobs"]!["token_logprobs"]!.AsArray().Select(n => n!.GetValue<double>())],
        completion["choices"]![0]!["finish_reason"]?.GetValue<string>());

    /// <summary>Splits an SSE body into its <c>data:</c> payloads, asserting MLC's framing on the way.</summary>
    public static IReadOnlyList<string> SseData(string body)
    {
        Assert.EndsWith("\n\n", body, StringComparison.Ordinal);
        var frames = body[..^2].Split("\n\n");
        Assert.All(frames, frame => Assert.StartsWith("data: ", frame, StringComparison.Ordinal));
        Assert.All(frames, frame => Assert.DoesNotContain('\n', frame));
        return [.. frames.Select(frame => frame["data: ".Length..])];
    }

    /// <summary>Joins a completed stream's chunks into the same shape as a non-stream answer.</summary>
    public static Generation JoinStream(IReadOnlyList<string> data)
    {
        Assert.Equal("[DONE]", data[^1]);
        var text = new StringBuilder();
        var logprobs = new List<double>();
        string? finish = null;
        foreach (var chunk in data.SkipLast(1).Select(d => JsonNode.Parse(d)!))
        {
            foreach (var choice in chunk["choices"]!.AsArray())
            {
                text.Append(choice!["text"]!.GetValue<string>());
                finish ??= choice["finish_reason"]?.GetValue<string>();
                if (choice["logprobs"] is JsonObject lp)
                {
                    logprobs.AddRange(lp["token_logprobs"]!.AsArray().Select(n => n!.GetValue<double>()));
                }
            }
        }

        return new Generation(text.ToString(), logprobs, finish);
    }

    /// <summary>Encodes a <c>kv_append_metadata</c> JSON array as mlc-protocol.md §4.6 does.</summary>
    public static string EncodeMetadata(string json)
    {
        var payload = Encoding.UTF8.GetBytes(json);
        return Convert.ToBase64String([.. BitConverter.GetBytes((ulong)payload.Length), .. payload]);
    }

    /// <summary>Decodes <c>kv_append_metadata</c> (mlc-protocol.md §4.6) into its JSON array, checking the length prefix.</summary>
    public static long[] DecodeMetadata(string metadata)
    {
        var bytes = Convert.FromBase64String(metadata);
        Assert.Equal((ulong)(bytes.Length - 8), BitConverter.ToUInt64(bytes, 0));
        return JsonSerializer.Deserialize<long[]>(bytes.AsSpan(8))!;
    }
}

/// <summary>What a completion produced for choice 0.</summary>
internal sealed record Generation(string Text, IReadOnlyList<double> TokenLogprobs, string? FinishReason)
{
    public bool SameTokensAs(Generation other) => Text == other.Text && TokenLogprobs.SequenceEqual(other.TokenLogprobs);
}
