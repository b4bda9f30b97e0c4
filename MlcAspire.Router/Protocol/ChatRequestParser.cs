using MlcAspire.Models.Chat;

namespace MlcAspire.Router.Protocol;

/// <summary>
/// Checks a client's chat body before any engine is called: the fields completions share, the conversation by MLC's
/// message rules (<see cref="ChatMessageReader"/>), chat's own fields; and, for a handoff, renders the conversation
/// with the model's template into the completion-style request the MicroServing calls carry.
/// </summary>
public static class ChatRequestParser
{
    /// <summary>Chat fields a rendered (completion-style) engine request does not carry.</summary>
    private static readonly string[] ChatOnlyFields = ["messages", "tools", "tool_choice", "logprobs", "top_logprobs", "max_completion_tokens", "stop"];

    /// <inheritdoc cref="CompletionRequestParser.Parse"/>
    public static (CompletionRequest? Request, RequestError? Error) Parse(JsonNode? node, string configuredModel, RequestLimitsOptions limits, int? contextWindow = null)
    {
        try
        {
            return ParseObject(node, configuredModel, limits, contextWindow);
        }
        catch (InvalidOperationException ex)
        {
            // JSON that parses but cannot be read as .NET text, e.g. a string holding a lone UTF-16 surrogate.
            return Fail($"The request body holds a value that cannot be read: {ex.Message}", null, "invalid_json");
        }
    }

    /// <summary>
    /// The completion-style request a handoff sends for <paramref name="chat"/>: the conversation rendered as MLC's engine
    /// renders it and tokenized (the template's prefix ids first), the template's stop strings added to the client's
    /// (MLC's completion endpoint also adds them, and its stop token ids, itself), and chat's logprobs as a count.
    /// </summary>
    /// <remarks>
    /// <paramref name="refuse"/> sees the rendered text before it is tokenized, so a conversation that cannot fit the
    /// context window is refused for the cost of its length, not of a tokenization.
    /// </remarks>
    public static (CompletionRequest? Request, RequestError? Error) Render(
        CompletionRequest chat, ConversationTemplate? template, Func<string, IReadOnlyList<int>> encode, Func<string, RequestError?>? refuse = null)
    {
        if (chat.UsesFunctionCalling)
        {
            // MLC's engine parses tool calls out of the generated text on its chat endpoint only; a handoff generates through
            // the completion endpoint, so the router would have to parse them itself. It does not (docs/router.md).
            return Fail(
                "Function calling ('tools' with 'tool_choice' other than \"none\") is not supported by the router in disaggregated mode; use round-robin mode or leave out 'tools'.",
                "tools", "unsupported_parameter");
        }

        if (chat.N > 1)
        {
            return (null, RequestError.SeveralChoicesInHandoff);
        }

        if (template is null)
        {
            return Fail("The model directory has no conversation template (conv_template in mlc-chat-config.json), so the router cannot render chat requests.", "messages", "unsupported_model");
        }

        string text;
        try
        {
            text = template.Render(chat.Messages!);
        }
        catch (ArgumentException ex)
        {
            return Fail(ex.Message, "messages");
        }

        if (refuse?.Invoke(text) is { } refused)
        {
            return (null, refused);
        }

        var body = new JsonObject();
        foreach (var (key, value) in chat.Body)
        {
            if (!ChatOnlyFields.Contains(key))
            {
                body[key] = value?.DeepClone();
            }
        }

        if (chat.Body["logprobs"] is { } logprobs && logprobs.GetValueKind() == JsonValueKind.True)
        {
            body["logprobs"] = chat.Body["top_logprobs"]?.DeepClone() ?? 0;
        }

        var stops = chat.Body["stop"] switch
        {
            JsonValue single => [single.GetValue<string>()],
            JsonArray list => list.Select(item => item!.GetValue<string>()).ToList(),
            _ => new List<string>(),
        };
        stops.AddRange(template.StopStrings.Except(stops));
        if (stops.Count > 0)
        {
            body["stop"] = new JsonArray([.. stops.Select(stop => JsonValue.Create(stop))]);
        }

        return (new CompletionRequest(body, chat.Stream, chat.N, null, template.Tokenize(text, encode))
        {
            Operation = CompletionOperation.Chat,
            RenderedChat = true,
            ClientWantsUsage = chat.ClientWantsUsage,
            Messages = chat.Messages,
        }, null);
    }

    /// <summary>
    /// Sets <paramref name="chat"/>'s prompt token ids, for a routing policy that matches prompts (cache-aware), to the
    /// rendered conversation's; the request itself still goes to an engine's chat endpoint. Without a template, or for a
    /// conversation the template cannot render (the engine will say why), the request is routed without them.
    /// </summary>
    /// <remarks>A conversation <paramref name="refuse"/> refuses (it cannot fit the window) is routed without them, untokenized.</remarks>
    public static CompletionRequest WithRoutingTokens(
        CompletionRequest chat, ConversationTemplate? template, Func<string, IReadOnlyList<int>> encode, Func<string, RequestError?>? refuse = null)
    {
        if (template is not null)
        {
            try
            {
                var text = template.Render(chat.Messages!);
                if (refuse?.Invoke(text) is null)
                {
                    chat.UseTokens(template.Tokenize(text, encode));
                }
            }
            catch (ArgumentException)
            {
                // A role the template lacks: the engine answers the request with its own 400.
            }
        }

        return chat;
    }

    private static (CompletionRequest? Request, RequestError? Error) ParseObject(JsonNode? node, string configuredModel, RequestLimitsOptions limits, int? contextWindow)
    {
        if (node is not JsonObject body)
        {
            return Fail("The request body must be a JSON object.", null, "invalid_json");
        }

        if (RequestFieldChecks.TakeRouterFields(body, configuredModel) is { } routerFieldError)
        {
            return (null, routerFieldError);
        }

        var (messages, messageError) = ChatMessageReader.Read(
            body["messages"] is { } list ? JsonSerializer.SerializeToElement(list, RouterJsonContext.Default.JsonNode) : default);
        if (messageError is not null)
        {
            var code = body["messages"] is null ? "missing_required_parameter" : messageError.IsSchemaError ? "invalid_type" : "invalid_value";
            return Fail(messageError.Message, messageError.Param, code);
        }

        var error =
            RequestFieldChecks.CheckSampling(body)
            ?? RequestFieldChecks.CheckBoolean(body, "logprobs")
            ?? RequestFieldChecks.CheckInteger(body, "top_logprobs", 0, 20)
            ?? RequestFieldChecks.CheckInteger(body, "max_completion_tokens", 1, int.MaxValue)
            ?? CheckLogprobPairing(body)
            ?? CheckStreamOptionsNeedStream(body)
            ?? RequestLimitChecks.Check(body, limits, contextWindow);
        if (error is not null)
        {
            return (null, error);
        }

        var (functionString, toolError) = ChatTools.Resolve(ToElement(body["tools"]), ToElement(body["tool_choice"]));
        if (toolError is not null)
        {
            return Fail(toolError.Message, toolError.Param);
        }

        // MLC's engine reads max_tokens only; OpenAI's newer name (what the .NET SDK sends) means the same.
        if (body["max_tokens"] is null && body["max_completion_tokens"] is { } maxCompletionTokens)
        {
            body["max_tokens"] = maxCompletionTokens.DeepClone();
        }

        var wantsUsage = RequestFieldChecks.RequestUsage(body);
        return (new CompletionRequest(body, RequestFieldChecks.IsStream(body), RequestFieldChecks.ChoiceCount(body), null, null)
        {
            Operation = CompletionOperation.Chat,
            ClientWantsUsage = wantsUsage,
            Messages = messages,
            UsesFunctionCalling = functionString is not null,
        }, null);
    }

    private static RequestError? CheckLogprobPairing(JsonObject body) =>
        body["top_logprobs"] is JsonValue top && top.GetValue<long>() > 0 && body["logprobs"]?.GetValueKind() != JsonValueKind.True
            ? RequestError.Invalid("'logprobs' must be true to use 'top_logprobs'.", "top_logprobs")
            : null;

    private static RequestError? CheckStreamOptionsNeedStream(JsonObject body) =>
        body["stream_options"] is not null && !RequestFieldChecks.IsStream(body)
            ? RequestError.Invalid("'stream_options' is only allowed when 'stream' is true.", "stream_options")
            : null;

    private static JsonElement ToElement(JsonNode? node) =>
        node is null ? default : JsonSerializer.SerializeToElement(node, RouterJsonContext.Default.JsonNode);

    private static (CompletionRequest?, RequestError?) Fail(string message, string? param, string code = "invalid_value") =>
        (null, RequestError.Invalid(message, param, code));
}
