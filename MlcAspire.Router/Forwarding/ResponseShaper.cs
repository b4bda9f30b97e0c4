using System.Text;

namespace MlcAspire.Router.Forwarding;

/// <summary>
/// Makes what an engine sent conform to OpenAI's schemas before it reaches the client, and no more: the usage chunk the
/// router asked for on the client's behalf is dropped, <c>usage.extra</c> (engine debug timings) removed,
/// <c>logprobs.text_offset</c> filled in, an MLC chat message's null <c>tool_calls</c> removed and its missing
/// <c>refusal</c> added; a rendered chat request's <c>text_completion</c> chunks become <c>chat.completion.chunk</c>s
/// (a role delta first). Chunks that need none of it pass as the engine's bytes.
/// </summary>
/// <remarks>One per client request; it keeps the per-choice text offsets and whether the role delta went out.</remarks>
internal sealed class ResponseShaper(CompletionRequest request, string clientId, string model)
{
    private readonly Dictionary<int, int> _textOffsets = [];
    private bool _roleSent;

    /// <summary>The events to send for one engine chunk (none, the chunk as it came, or rewritten ones).</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Shape(ReadOnlyMemory<byte> payload, CompletionChunk chunk)
    {
        if (chunk.Choices.Count == 0 && chunk.HasUsage && !request.ClientWantsUsage)
        {
            return [];
        }

        var span = payload.Span;
        var needsRewrite = request.Operation == CompletionOperation.Chat
            || (chunk.HasUsage && span.IndexOf("\"extra\""u8) >= 0)
            || span.IndexOf("\"text_offset\":null"u8) >= 0;
        if (!needsRewrite)
        {
            return [payload];
        }

        if (request.Operation != CompletionOperation.Chat && CompletionPatch.TryPatch(span, null, null) is { } patched)
        {
            return [patched];
        }

        var node = JsonNode.Parse(span) as JsonObject ?? throw new JsonException("An engine chunk must be a JSON object.");
        if (!request.RenderedChat)
        {
            Normalize(node, "delta");
            return [Serialize(node)];
        }

        var events = new List<ReadOnlyMemory<byte>>(2);
        if (!_roleSent && chunk.Choices.Count > 0)
        {
            _roleSent = true;
            events.Add(Serialize(ChatChunk(node, [.. Enumerable.Range(0, request.N).Select(RoleDelta)])));
        }

        events.Add(Serialize(ChatChunk(node, [.. ((node["choices"] as JsonArray) ?? []).OfType<JsonObject>().Select(ToChatDelta)])));
        return events;
    }

    /// <summary>
    /// A non-streamed text completion's answer as the client gets it, patched on the engine's bytes where that is all it
    /// needs (<see cref="CompletionPatch"/>); null when it needs the tree path (<see cref="ShapeAnswer"/>).
    /// </summary>
    public byte[]? TryPatchAnswer(ReadOnlySpan<byte> answer) =>
        request.Operation == CompletionOperation.Chat ? null : CompletionPatch.TryPatch(answer, clientId, model);

    /// <summary>Shapes a non-streamed answer in place (the relay has already set the client's id and model).</summary>
    public JsonObject ShapeAnswer(JsonObject answer)
    {
        if (!request.RenderedChat)
        {
            Normalize(answer, "message");
            return answer;
        }

        StripExtra(answer);
        var choices = ((answer["choices"] as JsonArray) ?? []).OfType<JsonObject>().Select(choice => (JsonNode)new JsonObject
        {
            ["index"] = choice["index"]?.DeepClone(),
            ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = choice["text"]?.DeepClone(), ["refusal"] = null },
            ["logprobs"] = ToChatLogprobs(choice["logprobs"]),
            ["finish_reason"] = choice["finish_reason"]?.DeepClone(),
        });
        return new JsonObject
        {
            ["id"] = answer["id"]?.DeepClone(),
            ["object"] = "chat.completion",
            ["created"] = answer["created"]?.DeepClone(),
            ["model"] = answer["model"]?.DeepClone(),
            ["choices"] = new JsonArray([.. choices]),
            ["usage"] = answer["usage"]?.DeepClone(),
        };
    }

    /// <summary>Removes what OpenAI's schema refuses or the client must not see, in an engine's own chunk or answer.</summary>
    private void Normalize(JsonObject node, string messageKey)
    {
        StripExtra(node);
        foreach (var choice in ((node["choices"] as JsonArray) ?? []).OfType<JsonObject>())
        {
            if (choice[messageKey] is JsonObject message)
            {
                // MLC writes every field of its message model; OpenAI's tool_calls is a list or absent, never null.
                foreach (var key in (string[])["tool_calls", "name", "tool_call_id"])
                {
                    if (message.ContainsKey(key) && message[key] is null)
                    {
                        message.Remove(key);
                    }
                }

                if (messageKey == "message" && !message.ContainsKey("refusal"))
                {
                    message["refusal"] = null;
                }
            }

            if (choice["logprobs"] is JsonObject logprobs)
            {
                if (logprobs.ContainsKey("content") && !logprobs.ContainsKey("refusal"))
                {
                    logprobs["refusal"] = null;
                }

                if (logprobs.ContainsKey("text_offset") && logprobs["text_offset"] is null && logprobs["tokens"] is JsonArray tokens)
                {
                    logprobs["text_offset"] = TextOffsets(choice["index"]?.GetValue<int>() ?? 0, tokens);
                }
            }
        }
    }

    /// <summary>OpenAI's offsets: where each token starts in the choice's text, counted across the stream's chunks.</summary>
    private JsonArray TextOffsets(int index, JsonArray tokens)
    {
        var offset = _textOffsets.GetValueOrDefault(index);
        var offsets = new JsonArray();
        foreach (var token in tokens)
        {
            offsets.Add(offset);
            offset += token?.GetValue<string>().Length ?? 0;
        }

        _textOffsets[index] = offset;
        return offsets;
    }

    private static void StripExtra(JsonObject node)
    {
        if (node["usage"] is JsonObject usage)
        {
            usage.Remove("extra");
        }
    }

    private JsonObject ChatChunk(JsonObject completion, JsonArray choices)
    {
        StripExtra(completion);
        var chunk = new JsonObject
        {
            ["id"] = clientId,
            ["object"] = "chat.completion.chunk",
            ["created"] = completion["created"]?.DeepClone(),
            ["model"] = model,
            ["choices"] = choices,
        };
        if (completion["usage"] is JsonObject usage)
        {
            chunk["usage"] = usage.DeepClone();
        }

        return chunk;
    }

    private static JsonNode RoleDelta(int index) => new JsonObject
    {
        ["index"] = index,
        ["delta"] = new JsonObject { ["role"] = "assistant", ["content"] = "" },
        ["logprobs"] = null,
        ["finish_reason"] = null,
    };

    private static JsonNode ToChatDelta(JsonObject choice) => new JsonObject
    {
        ["index"] = choice["index"]?.DeepClone(),
        ["delta"] = new JsonObject { ["content"] = choice["text"]?.DeepClone() },
        ["logprobs"] = ToChatLogprobs(choice["logprobs"]),
        ["finish_reason"] = choice["finish_reason"]?.DeepClone(),
    };

    /// <summary>A completion's logprobs (parallel lists) in chat's shape (one entry per token, with its UTF-8 bytes).</summary>
    private static JsonNode? ToChatLogprobs(JsonNode? logprobs)
    {
        if (logprobs is not JsonObject completion || completion["tokens"] is not JsonArray tokens)
        {
            return null;
        }

        var values = completion["token_logprobs"] as JsonArray;
        var tops = completion["top_logprobs"] as JsonArray;
        var content = new JsonArray();
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i]?.GetValue<string>() ?? "";
            var top = (tops?[i] as JsonObject ?? []).Select(pair => (JsonNode)new JsonObject
            {
                ["token"] = pair.Key,
                ["logprob"] = pair.Value?.DeepClone(),
                ["bytes"] = Bytes(pair.Key),
            });
            content.Add(new JsonObject
            {
                ["token"] = token,
                ["logprob"] = values?[i]?.DeepClone(),
                ["bytes"] = Bytes(token),
                ["top_logprobs"] = new JsonArray([.. top]),
            });
        }

        return new JsonObject { ["content"] = content, ["refusal"] = null };
    }

    private static JsonArray Bytes(string token) => new([.. Encoding.UTF8.GetBytes(token).Select(b => (JsonNode)JsonValue.Create((int)b))]);

    private static byte[] Serialize(JsonObject node) => JsonSerializer.SerializeToUtf8Bytes(node, RouterJsonContext.Default.JsonObject);
}
