using System.Buffers;
using System.IO.Pipelines;

namespace MlcAspire.Router.Protocol;

/// <summary>
/// Reads a completion body as JSON within <see cref="RouterOptions.MaxRequestBodyBytes"/>, with or without a
/// Content-Length. A body over the limit is still read to its end and thrown away, up to
/// <see cref="DrainAllowanceBytes"/> past the limit, before the 413 is written: an HTTP/1.1 client reads the answer
/// only once it has sent its body, so a 413 written while it is still sending reaches it as a reset connection.
/// </summary>
internal static class RequestBodyReader
{
    /// <summary>How far past the limit an oversized body is drained. Kestrel's own limit is the limit plus this
    /// (<c>AdmissionMiddleware</c>); past it Kestrel closes the connection, which bounds what a client can make the
    /// router read for nothing.</summary>
    public const long DrainAllowanceBytes = 16 * 1024 * 1024;

    /// <summary>The body as JSON, or the 4xx to answer.</summary>
    /// <param name="request">The request whose body to read.</param>
    /// <param name="limit">The body limit (413 beyond).</param>
    /// <param name="limits">The nesting depth (400 beyond) and the time the whole body may take (408 beyond).</param>
    /// <param name="timeProvider">The clock of the read timeout.</param>
    /// <param name="cancellationToken">The client's abort.</param>
    public static async ValueTask<(JsonNode? Body, RequestError? Error)> ReadJsonAsync(
        HttpRequest request, int limit, RequestLimitsOptions limits, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        // A slow body holds an admission slot and its bytes; Kestrel's minimum data rate alone lets a 4 MiB body
        // trickle in for hours.
        using var timeout = new CancellationTokenSource(limits.BodyReadTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            // A duplicate key would otherwise surface later, as an ArgumentException on first access.
            var options = new JsonDocumentOptions { AllowDuplicateProperties = false, MaxDepth = limits.MaxJsonDepth };
            return await ReadAsync(request, limit, options, linked.Token);
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel's own verdict on the transfer (bad chunked encoding, a body past the drain allowance, too slow).
            return (null, new RequestError(ex.StatusCode, ex.Message, null, "request_rejected"));
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return (null, new RequestError(StatusCodes.Status408RequestTimeout,
                $"The request body did not arrive within {limits.BodyReadTimeout.TotalSeconds:0.###} s.", null, "request_timeout"));
        }
    }

    private static async ValueTask<(JsonNode? Body, RequestError? Error)> ReadAsync(
        HttpRequest request, int limit, JsonDocumentOptions options, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } length && length > limit)
        {
            if (length <= limit + DrainAllowanceBytes)
            {
                await DrainAsync(request.BodyReader, cancellationToken);
            }

            return (null, TooLarge($"The request body has {length} bytes; the limit is {limit}."));
        }

        var reader = request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (buffer.Length > limit)
            {
                reader.AdvanceTo(buffer.End);
                await DrainAsync(reader, cancellationToken);
                return (null, TooLarge($"The request body has more than {limit} bytes, the limit."));
            }

            if (result.IsCompleted)
            {
                try
                {
                    return (Parse(buffer, options), null);
                }
                catch (JsonException ex)
                {
                    return (null, RequestError.Invalid($"The request body is not valid JSON: {ex.Message}", null, "invalid_json"));
                }
                finally
                {
                    reader.AdvanceTo(buffer.End);
                }
            }

            // Nothing consumed, everything examined: the next read returns once more bytes arrived.
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static JsonNode? Parse(ReadOnlySequence<byte> body, JsonDocumentOptions options) =>
        body.IsSingleSegment
            ? JsonNode.Parse(body.FirstSpan, documentOptions: options)
            : JsonNode.Parse(body.ToArray(), documentOptions: options);

    private static async ValueTask DrainAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    private static RequestError TooLarge(string message) =>
        new(StatusCodes.Status413PayloadTooLarge, message, null, "request_too_large");
}
