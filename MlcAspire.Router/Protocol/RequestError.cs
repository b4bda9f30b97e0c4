using System.Net;

namespace MlcAspire.Router.Protocol;

/// <summary>Why the router refused a client request before calling any engine.</summary>
public sealed record RequestError(int StatusCode, string Message, string? Param, string Code)
{
    public static RequestError Invalid(string message, string? param, string code = "invalid_value") =>
        new((int)HttpStatusCode.BadRequest, message, param, code);

    public OpenAIErrorResult ToResult() => new(StatusCode, OpenAIError.Create(
        Message,
        StatusCode == (int)HttpStatusCode.NotFound ? OpenAIError.NotFoundError : OpenAIError.InvalidRequestError,
        Code,
        Param));
}
