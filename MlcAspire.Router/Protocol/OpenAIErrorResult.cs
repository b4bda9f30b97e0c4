namespace MlcAspire.Router.Protocol;

/// <summary>
/// The one writer of OpenAI errors under <c>/v1</c>: the envelope as a JSON body with its status before the response
/// started, or, once an SSE stream sent its 200, as one <c>data: {"error":…}</c> event (the caller then ends the stream
/// without <c>[DONE]</c>, which OpenAI clients raise on).
/// </summary>
public sealed class OpenAIErrorResult(int statusCode, OpenAIError error) : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<OpenAIError>
{
    public int StatusCode => statusCode;

    int? IStatusCodeHttpResult.StatusCode => statusCode;

    public OpenAIError Value => error;

    object? IValueHttpResult.Value => error;

    public Task ExecuteAsync(HttpContext httpContext) => WriteAsync(httpContext, statusCode, error, httpContext.RequestAborted);

    /// <inheritdoc cref="OpenAIErrorResult"/>
    public static async Task WriteAsync(HttpContext context, int statusCode, OpenAIError error, CancellationToken cancellationToken)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(error, RouterJsonContext.Default.OpenAIError);
        if (context.Response.HasStarted)
        {
            await SseResponse.WriteEventAsync(context, payload, cancellationToken);
            return;
        }

        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(payload, cancellationToken);
    }
}
