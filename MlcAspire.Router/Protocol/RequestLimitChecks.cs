namespace MlcAspire.Router.Protocol;

/// <summary>
/// The checks of <see cref="RequestLimitsOptions"/> on a body whose fields already have their types, so that what a
/// request costs the router and the engines grows with its size only up to those limits (OpenAI answers such
/// requests with 400 too).
/// </summary>
internal static class RequestLimitChecks
{
    public static RequestError? Check(JsonObject body, RequestLimitsOptions limits, int? contextWindow) =>
        CheckStop(body, limits)
        ?? CheckCount("logit_bias", body["logit_bias"] is JsonObject biases ? biases.Count : 0, limits.MaxLogitBiasEntries)
        ?? CheckOutput(body, limits, contextWindow)
        ?? CheckSchema(body, limits);

    private static RequestError? CheckStop(JsonObject body, RequestLimitsOptions limits)
    {
        List<string> stops = body["stop"] switch
        {
            JsonArray list => [.. list.Select(stop => stop!.GetValue<string>())],
            JsonValue single => [single.GetValue<string>()],
            _ => [],
        };
        return CheckCount("stop", stops.Count, limits.MaxStopSequences)
            ?? (stops.Find(stop => stop.Length > limits.MaxStopLength) is { } tooLong
                ? RequestError.Invalid($"'stop' strings may have at most {limits.MaxStopLength} characters; one has {tooLong.Length}.", "stop")
                : null);
    }

    private static RequestError? CheckCount(string name, int count, int limit) =>
        count > limit
            ? RequestError.Invalid($"'{name}' may have at most {limit} entries; it has {count}.", name)
            : null;

    /// <summary>n × max_tokens, with max_tokens capped at the context window (an absent one means the window).</summary>
    private static RequestError? CheckOutput(JsonObject body, RequestLimitsOptions limits, int? contextWindow)
    {
        var n = body["n"] is JsonValue nValue ? nValue.GetValue<long>() : 1;
        long? maxTokens = body["max_tokens"] is JsonValue maxValue ? maxValue.GetValue<long>() : null;
        var perChoice = (maxTokens, contextWindow) switch
        {
            ({ } max, { } window) => Math.Min(max, window),
            ({ } max, null) => max,
            (null, { } window) => window,
            _ => 0L,
        };
        return n * perChoice > limits.MaxOutputTokens
            ? RequestError.Invalid(
                $"'n' times 'max_tokens' asks for {n * perChoice} tokens (max_tokens counted up to the context window); the limit is {limits.MaxOutputTokens}.", "n")
            : null;
    }

    private static RequestError? CheckSchema(JsonObject body, RequestLimitsOptions limits) =>
        body["response_format"] is JsonObject format && format["schema"] is JsonValue schema
            && schema.GetValue<string>().Length is var length && length > limits.MaxSchemaLength
            ? RequestError.Invalid($"'response_format.schema' may have at most {limits.MaxSchemaLength} characters; it has {length}.", "response_format")
            : null;
}
