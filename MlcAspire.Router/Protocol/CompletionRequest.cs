namespace MlcAspire.Router.Protocol;

/// <summary>
/// A validated client completion request. The body is kept as JSON so that every field the engine knows reaches
/// it unchanged (including <c>response_format.schema</c>, spec §5.7 W8); only <c>user</c> and <c>debug_config</c>
/// are removed, because the router owns the engine request id and the debug controls (W6, W7).
/// </summary>
public sealed class CompletionRequest
{
    /// <summary>The debug_config the router sends on every engine call; clients cannot set any of it.</summary>
    private static readonly string DefaultDebugConfig =
        """{"ignore_eos":false,"pinned_system_prompt":false,"special_request":null,"grammar_execution_mode":"jump_forward","disagg_config":null}""";

    internal CompletionRequest(JsonObject body, bool stream, int n, string? promptText, IReadOnlyList<int>? promptTokens)
    {
        Body = body;
        Stream = stream;
        N = n;
        PromptText = promptText;
        PromptTokens = promptTokens;
    }

    /// <summary>The client's fields minus <c>user</c> and <c>debug_config</c>.</summary>
    public JsonObject Body { get; }

    /// <summary>Whether the client asked for SSE.</summary>
    public bool Stream { get; }

    /// <summary>The number of choices.</summary>
    public int N { get; }

    /// <summary>The prompt when the client sent text, else null.</summary>
    public string? PromptText { get; }

    /// <summary>The prompt's token ids: as sent, or as the router's tokenizer produced them; null when not needed.</summary>
    public IReadOnlyList<int>? PromptTokens { get; private set; }

    /// <summary>Replaces a text prompt by its token ids, so every engine of a handoff sees the same tokens.</summary>
    public void UseTokens(IReadOnlyList<int> tokens)
    {
        PromptTokens = tokens;
        Body["prompt"] = new JsonArray([.. tokens.Select(t => (JsonNode)JsonValue.Create(t))]);
    }

    /// <summary>
    /// The body of one engine call: the client's fields, the attempt's request id as <c>user</c>, the router's own
    /// <c>debug_config</c>, and the call's extra fields (<c>end</c>, <c>begin</c>…).
    /// </summary>
    /// <remarks>
    /// A non-streaming client request is still streamed from the engine (with usage) and joined by the router, so
    /// the idle timeout and client-disconnect cancellation work the same for both.
    /// </remarks>
    public JsonObject CreateEngineBody(string requestId, params ReadOnlySpan<(string Key, JsonNode? Value)> extra)
    {
        var body = (JsonObject)Body.DeepClone();
        body["user"] = requestId;
        body["debug_config"] = JsonNode.Parse(DefaultDebugConfig);
        if (!Stream)
        {
            body["stream"] = true;
            body["stream_options"] = new JsonObject { ["include_usage"] = true };
        }

        foreach (var (key, value) in extra)
        {
            body[key] = value;
        }

        return body;
    }
}
