using System.Text;

namespace MlcAspire.Router.Forwarding;

/// <summary>
/// Joins an engine stream into one non-streaming <c>text_completion</c>: text joined per choice, the first
/// non-null finish_reason, logprobs concatenated (MLC overwrites them, W9), and the engine's usage.
/// </summary>
public sealed class CompletionAggregator(string id, string? model)
{
    private readonly SortedDictionary<int, Choice> _choices = [];
    private JsonNode? _usage;
    private long? _created;

    /// <summary>Adds one engine chunk, read forward-only: only a chunk's usage and logprobs, which few chunks carry,
    /// become JSON nodes. Throws <see cref="JsonException"/>, <see cref="InvalidOperationException"/> or
    /// <see cref="FormatException"/> when the chunk is not a completion chunk.</summary>
    public void Add(ReadOnlySpan<byte> chunk)
    {
        var reader = new Utf8JsonReader(chunk);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("An engine chunk must be a JSON object.");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("created"u8))
            {
                reader.Read();
                _created ??= reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var created) ? created : null;
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                _usage = ReadObject(ref reader, chunk) ?? _usage;
            }
            else if (reader.ValueTextEquals("choices"u8))
            {
                reader.Read();
                AddChoices(ref reader, chunk);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private void AddChoices(ref Utf8JsonReader reader, ReadOnlySpan<byte> chunk)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                AddChoice(ref reader, chunk);
            }
            else
            {
                reader.Skip();
            }
        }
    }

    private void AddChoice(ref Utf8JsonReader reader, ReadOnlySpan<byte> chunk)
    {
        var index = 0;
        string? text = null, finishReason = null;
        JsonObject? logprobs = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("index"u8))
            {
                reader.Read();
                index = reader.TokenType == JsonTokenType.Null ? 0 : reader.GetInt32();
            }
            else if (reader.ValueTextEquals("text"u8))
            {
                reader.Read();
                text = reader.GetString();
            }
            else if (reader.ValueTextEquals("finish_reason"u8))
            {
                reader.Read();
                finishReason = reader.GetString();
            }
            else if (reader.ValueTextEquals("logprobs"u8))
            {
                reader.Read();
                logprobs = ReadObject(ref reader, chunk);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (!_choices.TryGetValue(index, out var choice))
        {
            _choices[index] = choice = new Choice();
        }

        choice.Text.Append(text);
        choice.FinishReason ??= finishReason;
        if (logprobs is not null)
        {
            choice.Logprobs ??= new JsonObject { ["text_offset"] = null, ["token_logprobs"] = new JsonArray(), ["tokens"] = new JsonArray(), ["top_logprobs"] = new JsonArray() };
            foreach (var key in (string[])["token_logprobs", "tokens", "top_logprobs"])
            {
                if (logprobs[key] is JsonArray items)
                {
                    foreach (var item in items)
                    {
                        ((JsonArray)choice.Logprobs[key]!).Add(item?.DeepClone());
                    }
                }
            }
        }
    }

    /// <summary>The object value the reader stands on as a node, or null (skipped) when the value is not an object.</summary>
    private static JsonObject? ReadObject(ref Utf8JsonReader reader, ReadOnlySpan<byte> chunk)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }

        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return (JsonObject)JsonNode.Parse(chunk[start..(int)reader.BytesConsumed])!;
    }

    public JsonObject Build(TimeProvider timeProvider) => new()
    {
        ["id"] = id,
        ["choices"] = new JsonArray([.. _choices.Select(pair => (JsonNode)new JsonObject
        {
            ["finish_reason"] = pair.Value.FinishReason,
            ["index"] = pair.Key,
            ["logprobs"] = pair.Value.Logprobs,
            ["text"] = pair.Value.Text.ToString(),
        })]),
        ["created"] = _created ?? timeProvider.GetUtcNow().ToUnixTimeSeconds(),
        ["model"] = model,
        ["object"] = "text_completion",
        ["usage"] = _usage,
    };

    private sealed class Choice
    {
        public StringBuilder Text { get; } = new();

        public string? FinishReason { get; set; }

        public JsonObject? Logprobs { get; set; }
    }
}
