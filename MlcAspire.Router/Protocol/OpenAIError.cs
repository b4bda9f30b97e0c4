using System.Text.Json.Serialization;

namespace MlcAspire.Router.Protocol;

/// <summary>The OpenAI error envelope <c>{"error":{"message","type","param","code"}}</c> the OpenAI SDKs unwrap.</summary>
public sealed record OpenAIError(
    [property: JsonPropertyName("error")] OpenAIErrorDetail Error)
{
    public const string InvalidRequestError = "invalid_request_error";
    public const string AuthenticationError = "authentication_error";
    public const string NotFoundError = "not_found_error";
    public const string ServerError = "server_error";

    public static OpenAIError Create(string message, string type, string? code, string? param = null) =>
        new(new OpenAIErrorDetail(message, type, param, code));

    public static OpenAIError From(EngineFailure failure) => Create(failure.Message, failure.ErrorType, ToCode(failure.Error));

    private static string ToCode(EngineCallError error) => error switch
    {
        EngineCallError.EngineRejected => "engine_rejected",
        EngineCallError.EngineFailed => "engine_failed",
        EngineCallError.Transport => "engine_unreachable",
        EngineCallError.Timeout => "engine_timeout",
        EngineCallError.InvalidResponse => "engine_invalid_response",
        EngineCallError.PreemptRetriesExhausted => "preempted",
        EngineCallError.NoHealthyEngine => "no_healthy_engine",
        EngineCallError.InvalidWindow => "invalid_kv_window",
        EngineCallError.RetryDiverged => "retry_diverged",
        _ => "canceled",
    };
}

public sealed record OpenAIErrorDetail(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("param")] string? Param,
    [property: JsonPropertyName("code")] string? Code);
