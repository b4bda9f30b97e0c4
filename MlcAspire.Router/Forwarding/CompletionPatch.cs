namespace MlcAspire.Router.Forwarding;

/// <summary>
/// The common case of what the relay changes in an engine's text completion (a non-streamed answer or a chunk), made on
/// the engine's bytes: <c>id</c> and <c>model</c> set to the client's, <c>usage.extra</c> removed. One forward
/// <see cref="Utf8JsonReader"/> pass checks the whole body and finds those values; every other byte passes as the engine
/// wrote it. Parsing the answer into a tree and serializing it again was a tenth of the router's CPU per request.
/// </summary>
/// <remarks>
/// Anything more gives null, and the caller takes the tree path (<see cref="ResponseShaper"/>), which answers it as
/// before: a body that is not an object with a list of choices, an <c>error</c>, a preempt, a choice with logprobs or a
/// message, an <c>id</c> or <c>model</c> that is missing or not a string, or one of the fields read here twice.
/// </remarks>
internal static class CompletionPatch
{
    private const int IdKey = 1, ModelKey = 2, UsageKey = 4, ChoicesKey = 8, ErrorKey = 16;

    /// <summary>The patched body, or null when it needs the tree path.</summary>
    /// <param name="json">The engine's body.</param>
    /// <param name="id">The client-facing id to set, or null to require none (a chunk keeps the engine's).</param>
    /// <param name="model">The model to set, or null to leave the engine's.</param>
    public static byte[]? TryPatch(ReadOnlySpan<byte> json, string? id, string? model)
    {
        var edits = new Edit[3];
        var count = 0;
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            var seen = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var key = reader.ValueTextEquals("id"u8) ? IdKey
                    : reader.ValueTextEquals("model"u8) ? ModelKey
                    : reader.ValueTextEquals("usage"u8) ? UsageKey
                    : reader.ValueTextEquals("choices"u8) ? ChoicesKey
                    : reader.ValueTextEquals("error"u8) ? ErrorKey
                    : 0;
                if ((seen & key) != 0)
                {
                    return null;
                }

                seen |= key;
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                switch (key)
                {
                    case IdKey or ModelKey when reader.TokenType != JsonTokenType.String:
                    case ChoicesKey when reader.TokenType != JsonTokenType.StartArray || !PlainChoices(ref reader):
                    case ErrorKey when reader.TokenType != JsonTokenType.Null:
                        return null;
                    case IdKey when id is not null:
                        edits[count++] = new Edit(start, (int)reader.BytesConsumed, JsonEncodedText.Encode(id));
                        break;
                    case ModelKey when model is not null:
                        edits[count++] = new Edit(start, (int)reader.BytesConsumed, JsonEncodedText.Encode(model));
                        break;
                    case UsageKey when reader.TokenType == JsonTokenType.StartObject:
                        if (!FindExtra(ref reader, out var extra))
                        {
                            return null;
                        }

                        if (extra.End > 0)
                        {
                            edits[count++] = extra;
                        }

                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            // The reader checks the rest: nothing may follow the object.
            if (reader.Read() || (seen & ChoicesKey) == 0 || (id is not null && (seen & IdKey) == 0) || (model is not null && (seen & ModelKey) == 0))
            {
                return null;
            }
        }
        catch (JsonException)
        {
            return null;
        }

        return Apply(json, edits.AsSpan(0, count));
    }

    /// <summary>Every choice an object whose finish_reason is not a preempt, with no logprobs and no message to shape.</summary>
    private static bool PlainChoices(ref Utf8JsonReader reader)
    {
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            var seen = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var key = reader.ValueTextEquals("finish_reason"u8) ? 1
                    : reader.ValueTextEquals("logprobs"u8) ? 2
                    : reader.ValueTextEquals("message"u8) ? 4
                    : 0;
                if ((seen & key) != 0)
                {
                    return false;
                }

                seen |= key;
                reader.Read();
                var plain = key switch
                {
                    1 => reader.TokenType == JsonTokenType.Null
                        || (reader.TokenType == JsonTokenType.String && !reader.ValueTextEquals(FinishReasons.Preempt)),
                    2 or 4 => reader.TokenType == JsonTokenType.Null,
                    _ => true,
                };
                if (!plain)
                {
                    return false;
                }

                reader.Skip();
            }
        }

        return true;
    }

    /// <summary>
    /// Where <c>usage.extra</c> is, as the bytes to cut (with the comma before it, or after it when it comes first);
    /// an empty edit when there is none. False when it is there twice.
    /// </summary>
    private static bool FindExtra(ref Utf8JsonReader reader, out Edit extra)
    {
        extra = default;
        var previousEnd = -1;
        var cutFrom = -1;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var nameStart = (int)reader.TokenStartIndex;
            if (cutFrom >= 0)
            {
                // "extra" came first: cut up to the next member's name.
                extra = new Edit(cutFrom, nameStart, null);
                cutFrom = -1;
            }

            var isExtra = reader.ValueTextEquals("extra"u8);
            reader.Read();
            reader.Skip();
            if (isExtra)
            {
                if (extra.End > 0)
                {
                    return false;
                }

                if (previousEnd < 0)
                {
                    cutFrom = nameStart;
                }
                else
                {
                    extra = new Edit(previousEnd, (int)reader.BytesConsumed, null);
                }
            }

            previousEnd = (int)reader.BytesConsumed;
        }

        if (cutFrom >= 0)
        {
            extra = new Edit(cutFrom, previousEnd, null);
        }

        return true;
    }

    private static byte[] Apply(ReadOnlySpan<byte> json, Span<Edit> edits)
    {
        edits.Sort((a, b) => a.Start.CompareTo(b.Start));
        var length = json.Length;
        foreach (var edit in edits)
        {
            length += (edit.Value is { } value ? value.EncodedUtf8Bytes.Length + 2 : 0) - (edit.End - edit.Start);
        }

        var output = new byte[length];
        var (from, to) = (0, 0);
        foreach (var edit in edits)
        {
            json[from..edit.Start].CopyTo(output.AsSpan(to));
            to += edit.Start - from;
            if (edit.Value is { } encoded)
            {
                output[to++] = (byte)'"';
                encoded.EncodedUtf8Bytes.CopyTo(output.AsSpan(to));
                to += encoded.EncodedUtf8Bytes.Length;
                output[to++] = (byte)'"';
            }

            from = edit.End;
        }

        json[from..].CopyTo(output.AsSpan(to));
        return output;
    }

    /// <summary>Bytes [Start, End) of the engine's body replaced by a JSON string, or cut when there is no value. The value
    /// is encoded as the serializer encodes it on the tree path.</summary>
    private readonly record struct Edit(int Start, int End, JsonEncodedText? Value);
}
