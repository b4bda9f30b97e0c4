using System.Buffers;

namespace MlcAspire.Router.Protocol;

/// <summary>
/// A validated client completion request. The body is kept as JSON so that every field the engine knows reaches
/// it unchanged (including <c>response_format.schema</c>, mlc-protocol.md W8); only <c>user</c> and <c>debug_config</c>
/// are removed, because the router owns the engine request id and the debug controls (mlc-protocol.md W6, W7).
/// </summary>
/// <remarks>
/// A handoff makes three engine calls with the same fields (mlc-protocol.md §4.4: keep the bodies identical), and a prompt may be
/// thousands of token ids. So each field is serialized once, on the first engine body, and every engine body is
/// written from those bytes rather than from a clone of the JSON tree.
/// </remarks>
public sealed class CompletionRequest
{
    /// <summary>The debug_config the router sends on every engine call; clients cannot set any of it.</summary>
    private static readonly byte[] DefaultDebugConfig =
        """{"ignore_eos":false,"pinned_system_prompt":false,"special_request":null,"grammar_execution_mode":"jump_forward","disagg_config":null}"""u8.ToArray();

    private (string Key, byte[] Value)[]? _fields;

    internal CompletionRequest(JsonObject body, bool stream, int n, string? promptText, IReadOnlyList<int>? promptTokens)
    {
        Body = body;
        Stream = stream;
        N = n;
        PromptText = promptText;
        PromptTokens = promptTokens;
    }

    /// <summary>The client's fields minus <c>user</c> and <c>debug_config</c>; the prompt as the client sent it.</summary>
    public JsonObject Body { get; }

    /// <summary>Whether the client asked for SSE.</summary>
    public bool Stream { get; }

    /// <summary>A text completion or a chat completion, as the client asked.</summary>
    public CompletionOperation Operation { get; init; } = CompletionOperation.TextCompletion;

    /// <summary>
    /// A chat request the router rendered into a completion-style request for a handoff: the engines answer
    /// <c>text_completion</c>s, which the relay turns into chat (<see cref="ChatShaping"/>).
    /// </summary>
    public bool RenderedChat { get; init; }

    /// <summary>
    /// Whether the client asked for the usage chunk. Engines are always asked for it on a streamed call (the metrics
    /// need every request's usage); the relay drops it when the client did not ask.
    /// </summary>
    public bool ClientWantsUsage { get; init; }

    /// <summary>A chat request's conversation, as read and checked; null for a text completion.</summary>
    public IReadOnlyList<Models.Chat.ChatMessage>? Messages { get; init; }

    /// <summary>A chat request whose <c>tools</c> turn on MLC's function calling (its engine parses calls from the text).</summary>
    public bool UsesFunctionCalling { get; init; }

    /// <summary>The number of choices.</summary>
    public int N { get; }

    /// <summary>The prompt when the client sent text, else null.</summary>
    public string? PromptText { get; }

    /// <summary>
    /// The prompt's token ids: as sent, or as the router's tokenizer produced them; null when not needed. When set,
    /// engine bodies carry these ids as the prompt.
    /// </summary>
    public IReadOnlyList<int>? PromptTokens { get; private set; }

    /// <summary>The client's session id (the configured session header), for session affinity; null when none was sent.</summary>
    public string? SessionId { get; set; }

    /// <summary>
    /// Gives a request without a <c>seed</c> one, random per request. A preempted request is retried from scratch and
    /// the relay drops the text the client already has (<see cref="RetryDeduplicator"/>); that is exact only if every
    /// attempt samples the same tokens, so every attempt must carry the same seed.
    /// </summary>
    public void PinSeed()
    {
        if (Body["seed"] is null)
        {
            Body["seed"] = Random.Shared.Next();
            _fields = null;
        }
    }

    /// <summary>A relayed chat request's token ids are for routing only: its engine renders the conversation itself.</summary>
    private bool WritesPromptTokens => PromptTokens is not null && !(Operation == CompletionOperation.Chat && !RenderedChat);

    /// <summary>Replaces a text prompt by its token ids in engine bodies, so every engine of a handoff sees the same tokens.</summary>
    public void UseTokens(IReadOnlyList<int> tokens)
    {
        PromptTokens = tokens;
        _fields = null;
    }

    /// <summary>
    /// The body of one engine call: the client's fields, the attempt's request id as <c>user</c>, the router's own
    /// <c>debug_config</c>, and the call's extra fields (<c>end</c>, <c>begin</c>…), which replace a client field of
    /// the same name.
    /// </summary>
    /// <remarks>
    /// <c>stream</c> is the client's: a non-streaming client gets the engine's own joined answer, read whole under a
    /// total timeout (<see cref="RouterOptions.CompletionTimeout"/>), so the router wakes once per request instead of
    /// once per token.
    /// </remarks>
    public EngineRequestBody CreateEngineBody(string requestId, params ReadOnlySpan<(string Key, JsonNode? Value)> extra)
    {
        var fields = _fields ??= SerializeFields();
        var buffer = new ArrayBufferWriter<byte>(fields.Sum(field => field.Key.Length + field.Value.Length + 4) + 256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in fields)
            {
                if (!Replaced(key, extra))
                {
                    writer.WritePropertyName(key);
                    writer.WriteRawValue(value, skipInputValidation: true);
                }
            }

            writer.WriteString("user", requestId);
            writer.WritePropertyName("debug_config");
            writer.WriteRawValue(DefaultDebugConfig, skipInputValidation: true);
            foreach (var (key, value) in extra)
            {
                writer.WritePropertyName(key);
                if (value is null)
                {
                    writer.WriteNullValue();
                }
                else
                {
                    value.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        return new EngineRequestBody(buffer.WrittenMemory, PromptTokens?.Count, extra.ToArray());
    }

    private static bool Replaced(string key, ReadOnlySpan<(string Key, JsonNode? Value)> extra)
    {
        foreach (var (extraKey, _) in extra)
        {
            if (extraKey == key)
            {
                return true;
            }
        }

        return false;
    }

    private (string Key, byte[] Value)[] SerializeFields() =>
    [
        .. Body.Where(field => field.Key != "prompt" || !WritesPromptTokens)
            .Select(field => (field.Key, JsonSerializer.SerializeToUtf8Bytes(field.Value, RouterJsonContext.Default.JsonNode))),
        .. PromptTokens is { } tokens && WritesPromptTokens ? [("prompt", SerializeTokens(tokens))] : Array.Empty<(string, byte[])>(),
    ];

    private static byte[] SerializeTokens(IReadOnlyList<int> tokens)
    {
        var buffer = new ArrayBufferWriter<byte>(tokens.Count * 6 + 2);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var token in tokens)
            {
                writer.WriteNumberValue(token);
            }

            writer.WriteEndArray();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
