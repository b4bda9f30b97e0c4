using System.Globalization;

namespace MlcAspire.Router.Protocol;

/// <summary>
/// The checks every generation request gets before an engine is called, with the ranges MLC's request models enforce
/// (mlc-protocol.md §2.2), shared by completions and chat; and the fields the router owns, removed from a client body.
/// </summary>
internal static class RequestFieldChecks
{
    private static readonly string[] MicroServingFields = ["begin", "end", "kv_addr_info", "recv_rank"];

    /// <summary>
    /// Removes what the router owns (<c>user</c>, <c>debug_config</c>, the MicroServing fields) and checks the model;
    /// fills in <c>model</c> so that engines echo the served model's id.
    /// </summary>
    public static RequestError? TakeRouterFields(JsonObject body, string configuredModel)
    {
        // Neither reaches an engine: the router sets both itself (mlc-protocol.md W6, W7).
        body.Remove("debug_config");
        if (body["user"] is { } user && user.GetValueKind() != JsonValueKind.String)
        {
            return RequestError.Invalid("'user' must be a string.", "user", "invalid_type");
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
                return RequestError.Invalid("'model' must be a string.", "model", "invalid_type");
            }

            if (configuredModel.Length > 0 && model.GetValue<string>() != configuredModel)
            {
                return new RequestError(StatusCodes.Status404NotFound,
                    $"The model '{model.GetValue<string>()}' does not exist; this router serves '{configuredModel}'.", "model", "model_not_found");
            }
        }
        else if (configuredModel.Length > 0)
        {
            // Engines echo the request's model in every chunk; without one a chunk would say "model": null.
            body["model"] = configuredModel;
        }

        return null;
    }

    /// <summary>The sampling fields completions and chat share.</summary>
    public static RequestError? CheckSampling(JsonObject body) =>
        CheckNumber(body, "frequency_penalty", -2, 2)
            ?? CheckNumber(body, "presence_penalty", -2, 2)
            ?? CheckLogitBias(body)
            ?? CheckInteger(body, "max_tokens", 1, int.MaxValue)
            ?? CheckInteger(body, "n", 1, 128)
            ?? CheckInteger(body, "seed", long.MinValue, long.MaxValue)
            ?? CheckStop(body)
            ?? CheckBoolean(body, "stream")
            ?? CheckStreamOptions(body)
            ?? CheckNumber(body, "temperature", 0, 2)
            ?? CheckNumber(body, "top_p", 0, 1, minimumExclusive: true)
            ?? CheckResponseFormat(body);

    public static bool IsStream(JsonObject body) => body["stream"] is { } s && s.GetValueKind() == JsonValueKind.True;

    public static int ChoiceCount(JsonObject body) => body["n"] is JsonValue n ? n.GetValue<int>() : 1;

    /// <summary>
    /// A streamed request always asks its engine for usage, so every request's token counts and time per output token
    /// are measured; whether the client gets the usage chunk is what it asked (returned).
    /// </summary>
    public static bool RequestUsage(JsonObject body)
    {
        var asked = body["stream_options"]?["include_usage"] is { } include && include.GetValueKind() == JsonValueKind.True;
        if (IsStream(body))
        {
            body["stream_options"] = new JsonObject { ["include_usage"] = true };
        }

        return asked;
    }

    internal static bool IsNull(JsonNode? node) => node is null;

    internal static RequestError? CheckBoolean(JsonObject body, string name) =>
        IsNull(body[name]) || body[name]!.GetValueKind() is JsonValueKind.True or JsonValueKind.False
            ? null
            : RequestError.Invalid($"'{name}' must be a boolean.", name, "invalid_type");

    internal static RequestError? CheckString(JsonObject body, string name) =>
        IsNull(body[name]) || body[name]!.GetValueKind() == JsonValueKind.String
            ? null
            : RequestError.Invalid($"'{name}' must be a string.", name, "invalid_type");

    internal static RequestError? CheckInteger(JsonObject body, string name, long minimum, long maximum, string? rangeMessage = null)
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

    internal static RequestError? CheckNumber(JsonObject body, string name, double minimum, double maximum, bool minimumExclusive = false)
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

    internal static RequestError? CheckLogitBias(JsonObject body)
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

    internal static RequestError? CheckStop(JsonObject body) => body["stop"] switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => null,
        JsonArray list when list.All(item => item?.GetValueKind() == JsonValueKind.String) => null,
        _ => RequestError.Invalid("'stop' must be a string or a list of strings.", "stop", "invalid_type"),
    };

    internal static RequestError? CheckStreamOptions(JsonObject body) => body["stream_options"] switch
    {
        null => null,
        // MLC requires the key inside the object ({} is a 422 there).
        JsonObject options when options.ContainsKey("include_usage")
            && (options["include_usage"] is null || options["include_usage"]!.GetValueKind() is JsonValueKind.True or JsonValueKind.False) => null,
        _ => RequestError.Invalid("'stream_options' must be an object with a boolean 'include_usage'.", "stream_options", "invalid_type"),
    };

    internal static RequestError? CheckResponseFormat(JsonObject body)
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
