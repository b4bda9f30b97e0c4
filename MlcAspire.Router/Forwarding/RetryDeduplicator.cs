using System.Text;

namespace MlcAspire.Router.Forwarding;

/// <summary>
/// Keeps a client from seeing text twice when a preempted stream is restarted (mlc-protocol.md W3), and from seeing two
/// texts spliced when the restart does not repeat the first.
/// </summary>
/// <remarks>
/// Why skip rather than buffer: buffering a whole generation would hold every token back until the end, which
/// defeats streaming for the common case where nothing is ever preempted. Instead the relay keeps the text it sent
/// per choice; the retry should regenerate it (the same prompt and seed, and sampling with one seed is repeatable), so
/// on the retry each choice's first <c>sent</c> characters are checked against it and dropped, and only what is new
/// passes. An engine need not repeat itself, though: its batched arithmetic can differ with the batch the restart lands
/// in (mlc-protocol.md §2.3). Then <see cref="Diverged"/> is set and the relay ends the stream with an error event. Retry
/// chunks are rewritten (not relayed as bytes) so they also carry the client's original id; the first attempt, by far
/// the common case, relays the engine's bytes untouched.
/// </remarks>
public sealed class RetryDeduplicator(string clientId)
{
    private readonly Dictionary<int, StringBuilder> _sent = [];
    private Dictionary<int, int> _received = [];

    /// <summary>The retry's text differs from what the client already has: nothing more may be sent.</summary>
    public bool Diverged { get; private set; }

    /// <summary>Records what a relayed first-attempt chunk sent.</summary>
    public void RecordSent(CompletionChunk chunk)
    {
        foreach (var choice in chunk.Choices)
        {
            Sent(choice.Index).Append(choice.Text);
        }
    }

    /// <summary>Starts counting a new attempt from zero.</summary>
    public void BeginRetry() => _received = [];

    /// <summary>
    /// Rewrites a retry chunk: the client's id, and per choice only the text beyond what was already sent. Returns
    /// null when nothing is left to send, or when the retry diverged from the text sent (<see cref="Diverged"/>).
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
                // A text completion's text, or a chat chunk's delta.content.
                var delta = choice["delta"] as JsonObject;
                var text = (delta is null ? choice["text"] : delta["content"])?.GetValue<string>() ?? "";
                var sent = Sent(index);
                var received = _received.GetValueOrDefault(index);
                _received[index] = received + text.Length;
                var skip = Math.Clamp(sent.Length - received, 0, text.Length);
                var finished = choice["finish_reason"] is not null;
                if ((skip > 0 && sent.ToString(received, skip) != text[..skip]) || (finished && received + text.Length < sent.Length))
                {
                    // A different text, or one that ends before it repeated what was sent.
                    Diverged = true;
                    return null;
                }

                var rest = text[skip..];
                sent.Append(rest);
                if (skip == 0)
                {
                    continue;
                }

                if (rest.Length == 0 && !finished)
                {
                    choices.Remove(choice);
                    continue;
                }

                if (delta is null)
                {
                    choice["text"] = rest;
                }
                else
                {
                    delta["content"] = rest;
                }

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

    private StringBuilder Sent(int index)
    {
        if (!_sent.TryGetValue(index, out var sent))
        {
            _sent[index] = sent = new StringBuilder();
        }

        return sent;
    }
}
