using System.Net;

namespace MlcAspire.Router.Protocol;

/// <summary>Why the router refused a client request before calling any engine.</summary>
public sealed record RequestError(int StatusCode, string Message, string? Param, string Code)
{
    public static RequestError Invalid(string message, string? param, string code = "invalid_value") =>
        new((int)HttpStatusCode.BadRequest, message, param, code);

    /// <summary>
    /// prep_recv parks one sequence (the engine samples with prep_recv's settings, n forced to 1), so a handoff generates
    /// one choice; the others would come back empty.
    /// </summary>
    public static RequestError SeveralChoicesInHandoff { get; } = Invalid(
        "'n' greater than 1 is not supported by the router in disaggregated mode: a handoff generates one choice. Send n requests, or use round-robin mode.",
        "n", "unsupported_parameter");

    public OpenAIErrorResult ToResult() => new(StatusCode, OpenAIError.Create(
        Message,
        StatusCode == (int)HttpStatusCode.NotFound ? OpenAIError.NotFoundError : OpenAIError.InvalidRequestError,
        Code,
        Param));
}
