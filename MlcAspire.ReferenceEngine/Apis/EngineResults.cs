using System.Text.Json;
using System.Text.Json.Nodes;
using MlcAspire.ReferenceEngine.Protocol;

namespace MlcAspire.ReferenceEngine.Apis;

/// <summary>The error answers of mlc-protocol.md §2.5, shaped exactly as an MLC engine sends them.</summary>
internal static class EngineResults
{
    /// <summary>
    /// 400 with MLC's double-encoded body: a JSON string holding <c>{"object":"error","message":…,"code":400}</c>
    /// (MLC hands an already serialised string to <c>JSONResponse</c>).
    /// </summary>
    public static IResult BadRequest(string message)
    {
        var inner = JsonSerializer.Serialize(new EngineError(message, StatusCodes.Status400BadRequest), EngineJson.Context.EngineError);
        return TypedResults.Text(JsonSerializer.Serialize(inner, EngineJson.Context.String), "application/json", statusCode: StatusCodes.Status400BadRequest);
    }

    /// <summary>422 with FastAPI's <c>{"detail":[…]}</c>.</summary>
    public static IResult Validation(IReadOnlyList<ValidationErrorDetail> details) =>
        TypedResults.Json(new ValidationErrorBody(details), EngineJson.Context.ValidationErrorBody, statusCode: StatusCodes.Status422UnprocessableEntity);

    public static ValidationErrorDetail Invalid(string field, string type, string message, JsonNode? input) =>
        new(type, new JsonArray("body", field), message, input);

    public static IResult InvalidApiKey() =>
        TypedResults.Json(new DetailBody("Invalid API Key"), EngineJson.Context.DetailBody, statusCode: StatusCodes.Status401Unauthorized);
}
