namespace MlcAspire.Router.Forwarding;

/// <summary>
/// What the relay needs to know about one engine SSE chunk, read with a forward-only <see cref="Utf8JsonReader"/>
/// scan so the chunk itself can pass to the client as the engine's bytes (no per-chunk JSON round trip, mlc-protocol.md W15).
/// </summary>
public readonly record struct ChoiceSummary(int Index, string Text, string? FinishReason);

public sealed record CompletionChunk(IReadOnlyList<ChoiceSummary> Choices, bool IsError)
{
    /// <summary>The chunk carries <c>usage</c> (the last one of a stream whose engine call asked for it).</summary>
    public bool HasUsage { get; init; }

    /// <summary>Any choice preempted: in disaggregation the engine aborts the whole request then (mlc-protocol.md §2.3).</summary>
    public bool IsPreempted => Choices.Any(choice => choice.FinishReason == FinishReasons.Preempt);

    /// <summary>Scans a <c>text_completion</c> chunk; throws <see cref="JsonException"/> when it is not a JSON object.</summary>
    public static CompletionChunk Scan(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("An engine chunk must be a JSON object.");
        }

        var choices = new List<ChoiceSummary>();
        var isError = false;
        var hasUsage = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("choices"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                    {
                        choices.Add(ReadChoice(ref reader));
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                hasUsage = reader.TokenType == JsonTokenType.StartObject;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                // Serializers that write every field send "error": null on a good chunk; only an actual error counts.
                reader.Read();
                isError |= reader.TokenType is JsonTokenType.StartObject or JsonTokenType.String;
                reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new CompletionChunk(choices, isError) { HasUsage = hasUsage };
    }

    private static ChoiceSummary ReadChoice(ref Utf8JsonReader reader)
    {
        var index = 0;
        var text = "";
        string? finishReason = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("index"u8))
            {
                reader.Read();
                index = reader.GetInt32();
            }
            else if (reader.ValueTextEquals("text"u8))
            {
                reader.Read();
                text = reader.TokenType == JsonTokenType.String ? reader.GetString()! : "";
            }
            else if (reader.ValueTextEquals("delta"u8))
            {
                // A chat chunk: its text is delta.content.
                reader.Read();
                text = ReadDeltaContent(ref reader);
            }
            else if (reader.ValueTextEquals("finish_reason"u8))
            {
                reader.Read();
                finishReason = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new ChoiceSummary(index, text, finishReason);
    }

    private static string ReadDeltaContent(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return "";
        }

        var content = "";
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isContent = reader.ValueTextEquals("content"u8);
            reader.Read();
            if (isContent && reader.TokenType == JsonTokenType.String)
            {
                content = reader.GetString()!;
            }
            else
            {
                reader.Skip();
            }
        }

        return content;
    }
}
