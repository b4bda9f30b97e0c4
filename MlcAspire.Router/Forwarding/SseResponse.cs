using System.Buffers;
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
    /// <remarks>
    /// Written to the response's pipe and flushed once: every write to the response stream is a flush of its own, which
    /// made an event three chunks of the chunked encoding and, with Kestrel's inline scheduling, three sends.
    /// </remarks>
    public static async Task WriteEventAsync(HttpContext context, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        await StartAsync(context, cancellationToken);
        var output = context.Response.BodyWriter;
        output.Write(DataPrefix.Span);
        output.Write(payload.Span);
        output.Write(EventEnd.Span);
        await output.FlushAsync(cancellationToken);
    }

    /// <summary>Ends a complete stream with <c>data: [DONE]</c>; a stream that failed ends without it.</summary>
    public static async Task WriteDoneAsync(HttpContext context, CancellationToken cancellationToken)
    {
        await StartAsync(context, cancellationToken);
        context.Response.BodyWriter.Write(DoneEvent.Span);
        await context.Response.BodyWriter.FlushAsync(cancellationToken);
    }
}
