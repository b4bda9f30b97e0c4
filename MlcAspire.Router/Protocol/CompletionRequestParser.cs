namespace MlcAspire.Router.Protocol;

/// <summary>
/// Checks a client's completion body against the ranges MLC's <c>CompletionRequest</c> enforces (mlc-protocol.md §2.2), so
/// that a bad request gets a 400 naming the field before any engine is called, instead of an engine 422 or a
/// fatal engine check.
/// </summary>
public static class CompletionRequestParser
{
    /// <param name="node">The body.</param>
    /// <param name="configuredModel">The model the router serves; another <c>model</c> is a 404.</param>
    /// <param name="limits">What one request may ask for.</param>
    /// <param name="contextWindow">The model's context window, when the router knows it: <c>max_tokens</c> counts up to it.</param>
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

        string? promptText = null;
        IReadOnlyList<int>? promptTokens = null;
        switch (body["prompt"])
        {
            case null:
                return Fail("'prompt' is required.", "prompt", "missing_required_parameter");
            case JsonValue text when text.GetValueKind() == JsonValueKind.String:
                promptText = text.GetValue<string>();
                if (promptText.Length == 0)
                {
                    return Fail("'prompt' must not be empty.", "prompt");
                }

                break;
            case JsonArray ids when ReadTokenIds(ids) is { Length: > 0 } tokens:
                promptTokens = tokens;
                break;
            default:
                return Fail("'prompt' must be a non-empty string or a non-empty list of token ids.", "prompt", "invalid_type");
        }

        var error =
            RequestFieldChecks.CheckSampling(body)
            ?? RequestFieldChecks.CheckInteger(body, "best_of", 1, 1, "Only 'best_of' = 1 is supported.")
            ?? RequestFieldChecks.CheckBoolean(body, "echo")
            ?? RequestFieldChecks.CheckInteger(body, "logprobs", 0, 5)
            ?? RequestFieldChecks.CheckString(body, "suffix")
            ?? RequestLimitChecks.Check(body, limits, contextWindow);
        if (error is not null)
        {
            return (null, error);
        }

        var wantsUsage = RequestFieldChecks.RequestUsage(body);
        return (new CompletionRequest(body, RequestFieldChecks.IsStream(body), RequestFieldChecks.ChoiceCount(body), promptText, promptTokens)
        {
            ClientWantsUsage = wantsUsage,
        }, null);
    }

    private static (CompletionRequest?, RequestError?) Fail(string message, string? param, string code = "invalid_value") =>
        (null, RequestError.Invalid(message, param, code));

    /// <summary>
    /// The ids of a token-id prompt, or null when an item is not a non-negative 32-bit integer. Read by the serializer
    /// from the array's JSON, not node by node: a 3,000-token prompt would otherwise become 3,000 nodes, which took
    /// milliseconds of the handoff.
    /// </summary>
    private static int[]? ReadTokenIds(JsonArray ids)
    {
        try
        {
            var tokens = ids.Deserialize(RouterJsonContext.Default.Int32Array);
            return tokens is not null && Array.TrueForAll(tokens, token => token >= 0) ? tokens : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
