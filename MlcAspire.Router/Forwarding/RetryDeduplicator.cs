namespace MlcAspire.Router.Forwarding;

/// <summary>
/// Keeps a client from seeing text twice when a preempted stream is restarted (mlc-protocol.md W3).
/// </summary>
/// <remarks>
/// Why skip rather than buffer: buffering a whole generation would hold every token back until the end, which
/// defeats streaming for the common case where nothing is ever preempted. Instead the relay counts the characters
/// it sent per choice; the retry regenerates the same text (greedy or seeded sampling is deterministic, and the
/// same prompt is sent), so on the retry each choice's first <c>sent</c> characters are dropped and only what is
/// new passes. Retry chunks are rewritten (not relayed as bytes) so they also carry the client's original id;
/// the first attempt, by far the common case, relays the engine's bytes untouched.
/// </remarks>
public sealed class RetryDeduplicator(string clientId)
{
    private readonly Dictionary<int, int> _sent = [];
    private Dictionary<int, int> _received = [];

    /// <summary>Records what a relayed first-attempt chunk sent.</summary>
    public void RecordSent(CompletionChunk chunk)
    {
        foreach (var choice in chunk.Choices)
        {
            _sent[choice.Index] = _sent.GetValueOrDefault(choice.Index) + choice.TextLength;
        }
    }

    /// <summary>Starts counting a new attempt from zero.</summary>
    public void BeginRetry() => _received = [];

    /// <summary>
    /// Rewrites a retry chunk: the client's id, and per choice only the text beyond what was already sent. Returns
    /// null when nothing is left to send.
    /// </summary>
    public byte[]? Rewrite(ReadOnlySpan<byte> payload)
    {
        if (JsonNode.Parse(payload) is not JsonObject chunk)
        {
            throw new JsonException("An engine chunk must be a JSON object.");
        }

        chunk["id"] = clientId;
        if (chunk["choices"] is JsonArray { Count: > 0 } choices)
        {
            foreach (var choice in choices.OfType<JsonObject>().ToList())
            {
                var index = choice["index"]?.GetValue<int>() ?? 0;
                var text = choice["text"]?.GetValue<string>() ?? "";
                var received = _received.GetValueOrDefault(index);
                var sent = _sent.GetValueOrDefault(index);
                _received[index] = received + text.Length;
                var skip = Math.Clamp(sent - received, 0, text.Length);
                if (skip == 0)
                {
                    _sent[index] = sent + text.Length;
                    continue;
                }

                var rest = text[skip..];
                _sent[index] = sent + rest.Length;
                if (rest.Length == 0 && choice["finish_reason"] is null)
                {
                    choices.Remove(choice);
                    continue;
                }

                choice["text"] = rest;
                if (rest.Length == 0)
                {
                    choice["logprobs"] = null;
                }
            }

            if (choices.Count == 0)
            {
                return null;
            }
        }

        return JsonSerializer.SerializeToUtf8Bytes(chunk, RouterJsonContext.Default.JsonObject);
    }
}
