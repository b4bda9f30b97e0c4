namespace MlcAspire.Router.Forwarding;

/// <summary>Reads the message out of the error bodies MLC engines send (mlc-protocol.md §2.5).</summary>
public static class EngineErrorBody
{
    private const int MaxMessageLength = 2048;

    /// <summary>Extracts a readable message from an engine's non-2xx body, whatever its shape.</summary>
    /// <remarks>
    /// Shapes seen on the wire: MLC's double-encoded 400 (a JSON string holding
    /// <c>{"object":"error","message","code"}</c>), the same object not double-encoded, FastAPI's 422
    /// <c>{"detail":[{loc,msg,type}]}</c>, the 401 <c>{"detail":"Invalid API Key"}</c>, an OpenAI envelope, and a
    /// text/plain 500.
    /// </remarks>
    public static string ReadMessage(string body, int statusCode)
    {
        var message = TryReadJson(body) ?? body.Trim();
        if (message.Length == 0)
        {
            message = $"The engine answered {statusCode} with no body.";
        }

        return message.Length > MaxMessageLength ? message[..MaxMessageLength] : message;
    }

    private static string? TryReadJson(string body)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }

        // MLC's JSONResponse is handed an already serialised string, so the object arrives as a JSON string.
        if (node is JsonValue value && value.TryGetValue<string>(out var inner))
        {
            return TryReadJson(inner) ?? inner;
        }

        if (node is not JsonObject json)
        {
            return null;
        }

        if (json["message"] is JsonValue message)
        {
            return message.ToString();
        }

        if (json["error"] is JsonObject error && error["message"] is JsonValue errorMessage)
        {
            return errorMessage.ToString();
        }

        return json["detail"] switch
        {
            JsonValue detail => detail.ToString(),
            JsonArray details => string.Join("; ", details.Select(DescribeValidationError)),
            _ => null,
        };
    }

    private static string DescribeValidationError(JsonNode? detail)
    {
        if (detail is not JsonObject error || error["msg"] is not JsonValue msg)
        {
            return detail?.ToJsonString() ?? "";
        }

        return error["loc"] is JsonArray loc ? $"{string.Join('.', loc.Select(part => part?.ToString()))}: {msg}" : msg.ToString();
    }
}
