using Microsoft.AspNetCore.Http.Features;

namespace MlcAspire.Router.Forwarding;

/// <summary>
/// The router's side of a token stream: the SSE headers before the first event, then <c>data: …</c> events, each
/// flushed as it is written, and the closing <c>data: [DONE]</c>.
/// </summary>
internal static class SseResponse
{
    private static ReadOnlyMemory<byte> DataPrefix { get; } = "data: "u8.ToArray();
    private static ReadOnlyMemory<byte> EventEnd { get; } = "\n\n"u8.ToArray();
    private static ReadOnlyMemory<byte> DoneEvent { get; } = "data: [DONE]\n\n"u8.ToArray();

    /// <summary>Sends the SSE headers before the first event; until then a failure can still be an HTTP error.</summary>
    public static Task StartAsync(HttpContext context, CancellationToken cancellationToken)
    {
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        return context.Response.StartAsync(cancellationToken);
    }

    /// <summary>Writes one <c>data:</c> event holding <paramref name="payload"/> (a JSON object, one line) and flushes it.</summary>
    public static async Task WriteEventAsync(HttpContext context, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        await StartAsync(context, cancellationToken);
        var output = context.Response.Body;
        await output.WriteAsync(DataPrefix, cancellationToken);
        await output.WriteAsync(payload, cancellationToken);
        await output.WriteAsync(EventEnd, cancellationToken);
        await output.FlushAsync(cancellationToken);
    }

    /// <summary>Ends a complete stream with <c>data: [DONE]</c>; a stream that failed ends without it.</summary>
    public static async Task WriteDoneAsync(HttpContext context, CancellationToken cancellationToken)
    {
        await StartAsync(context, cancellationToken);
        await context.Response.Body.WriteAsync(DoneEvent, cancellationToken);
        await context.Response.Body.FlushAsync(cancellationToken);
    }
}
