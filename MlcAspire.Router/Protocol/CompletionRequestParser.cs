using System.Globalization;

namespace MlcAspire.Router.Protocol;

/// <summary>
/// Checks a client's completion body against the ranges MLC's <c>CompletionRequest</c> enforces (mlc-protocol.md §2.2), so
/// that a bad request gets a 400 naming the field before any engine is called, instead of an engine 422 or a
/// fatal engine check.
/// </summary>
public static class CompletionRequestParser
{
    private static readonly string[] MicroServingFields = ["begin", "end", "kv_addr_info", "recv_rank"];

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

        // Neither reaches an engine: the router sets both itself (mlc-protocol.md W6, W7).
        body.Remove("debug_config");
        if (body["user"] is { } user && user.GetValueKind() != JsonValueKind.String)
        {
            return Fail("'user' must be a string.", "user", "invalid_type");
        }

        body.Remove("user");

        // MicroServing fields are the router's to set on its own calls; a client's would steer another request's KV.
        foreach (var field in MicroServingFields)
        {
            body.Remove(field);
        }

        if (body["model"] is { } model)
        {
            if (model.GetValueKind() != JsonValueKind.String)
            {
                return Fail("'model' must be a string.", "model", "invalid_type");
            }

            if (configuredModel.Length > 0 && model.GetValue<string>() != configuredModel)
            {
                return (null, new RequestError(StatusCodes.Status404NotFound,
                    $"The model '{model.GetValue<string>()}' does not exist; this router serves '{configuredModel}'.", "model", "model_not_found"));
            }
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
            CheckInteger(body, "best_of", 1, 1, "Only 'best_of' = 1 is supported.")
            ?? CheckBoolean(body, "echo")
            ?? CheckNumber(body, "frequency_penalty", -2, 2)
            ?? CheckNumber(body, "presence_penalty", -2, 2)
            ?? CheckInteger(body, "logprobs", 0, 5)
            ?? CheckLogitBias(body)
            ?? CheckInteger(body, "max_tokens", 1, int.MaxValue)
            ?? CheckInteger(body, "n", 1, 128)
            ?? CheckInteger(body, "seed", long.MinValue, long.MaxValue)
            ?? CheckStop(body)
            ?? CheckBoolean(body, "stream")
            ?? CheckStreamOptions(body)
            ?? CheckString(body, "suffix")
            ?? CheckNumber(body, "temperature", 0, 2)
            ?? CheckNumber(body, "top_p", 0, 1, minimumExclusive: true)
            ?? CheckResponseFormat(body)
            ?? RequestLimitChecks.Check(body, limits, contextWindow);
        if (error is not null)
        {
            return (null, error);
        }

        var stream = body["stream"] is { } s && s.GetValueKind() == JsonValueKind.True;
        var n = body["n"] is JsonValue nValue ? nValue.GetValue<int>() : 1;
        return (new CompletionRequest(body, stream, n, promptText, promptTokens), null);
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

    private static bool IsNull(JsonNode? node) => node is null;

    private static RequestError? CheckBoolean(JsonObject body, string name) =>
        IsNull(body[name]) || body[name]!.GetValueKind() is JsonValueKind.True or JsonValueKind.False
            ? null
            : RequestError.Invalid($"'{name}' must be a boolean.", name, "invalid_type");

    private static RequestError? CheckString(JsonObject body, string name) =>
        IsNull(body[name]) || body[name]!.GetValueKind() == JsonValueKind.String
            ? null
            : RequestError.Invalid($"'{name}' must be a string.", name, "invalid_type");

    private static RequestError? CheckInteger(JsonObject body, string name, long minimum, long maximum, string? rangeMessage = null)
    {
        if (IsNull(body[name]))
        {
            return null;
        }

        if (body[name] is not JsonValue value || !value.TryGetValue<long>(out var number))
        {
            return RequestError.Invalid($"'{name}' must be an integer.", name, "invalid_type");
        }

        return number < minimum || number > maximum
            ? RequestError.Invalid(rangeMessage ?? $"'{name}' must be between {minimum} and {maximum}.", name)
            : null;
    }

    private static RequestError? CheckNumber(JsonObject body, string name, double minimum, double maximum, bool minimumExclusive = false)
    {
        if (IsNull(body[name]))
        {
            return null;
        }

        if (body[name] is not JsonValue value || value.GetValueKind() != JsonValueKind.Number)
        {
            return RequestError.Invalid($"'{name}' must be a number.", name, "invalid_type");
        }

        if (!value.TryGetValue<double>(out var number))
        {
            number = double.NaN;
        }

        var tooLow = minimumExclusive ? number <= minimum : number < minimum;
        return tooLow || number > maximum || !double.IsFinite(number)
            ? RequestError.Invalid(
                $"'{name}' must be {(minimumExclusive ? "greater than" : "at least")} {minimum.ToString(CultureInfo.InvariantCulture)} and at most {maximum.ToString(CultureInfo.InvariantCulture)}.", name)
            : null;
    }

    private static RequestError? CheckLogitBias(JsonObject body)
    {
        const string name = "logit_bias";
        if (IsNull(body[name]))
        {
            return null;
        }

        if (body[name] is not JsonObject biases)
        {
            return RequestError.Invalid($"'{name}' must be an object of token id to bias.", name, "invalid_type");
        }

        foreach (var (token, bias) in biases)
        {
            if (!int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                return RequestError.Invalid($"'{name}' keys must be token ids; '{token}' is not.", name);
            }

            if (bias is not JsonValue value || !value.TryGetValue<double>(out var number) || !(Math.Abs(number) <= 100))
            {
                return RequestError.Invalid($"'{name}' values must be numbers between -100 and 100.", name);
            }
        }

        return null;
    }

    private static RequestError? CheckStop(JsonObject body) => body["stop"] switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => null,
        JsonArray list when list.All(item => item?.GetValueKind() == JsonValueKind.String) => null,
        _ => RequestError.Invalid("'stop' must be a string or a list of strings.", "stop", "invalid_type"),
    };

    private static RequestError? CheckStreamOptions(JsonObject body) => body["stream_options"] switch
    {
        null => null,
        // MLC requires the key inside the object ({} is a 422 there).
        JsonObject options when options.ContainsKey("include_usage")
            && (options["include_usage"] is null || options["include_usage"]!.GetValueKind() is JsonValueKind.True or JsonValueKind.False) => null,
        _ => RequestError.Invalid("'stream_options' must be an object with a boolean 'include_usage'.", "stream_options", "invalid_type"),
    };

    private static RequestError? CheckResponseFormat(JsonObject body)
    {
        const string name = "response_format";
        return body[name] switch
        {
            null => null,
            JsonObject format when format["type"]?.GetValueKind() != JsonValueKind.String
                || format["type"]!.GetValue<string>() is not ("text" or "json_object") =>
                RequestError.Invalid($"'{name}.type' must be \"text\" or \"json_object\".", name),
            JsonObject format when format["schema"] is { } schema && schema.GetValueKind() != JsonValueKind.String =>
                RequestError.Invalid($"'{name}.schema' must be a string holding a JSON schema.", name, "invalid_type"),
            JsonObject => null,
            _ => RequestError.Invalid($"'{name}' must be an object.", name, "invalid_type"),
        };
    }
}
