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

    /// <summary>A duplicate key would otherwise surface later, as an ArgumentException on first access.</summary>
    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowDuplicateProperties = false };

    /// <summary>The body as JSON, or the 4xx to answer.</summary>
    public static async ValueTask<(JsonNode? Body, RequestError? Error)> ReadJsonAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        try
        {
            return await ReadAsync(request, limit, cancellationToken);
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel's own verdict on the transfer (bad chunked encoding, a body past the drain allowance, too slow).
            return (null, new RequestError(ex.StatusCode, ex.Message, null, "request_rejected"));
        }
    }

    private static async ValueTask<(JsonNode? Body, RequestError? Error)> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
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
                    return (Parse(buffer), null);
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

    private static JsonNode? Parse(ReadOnlySequence<byte> body) =>
        body.IsSingleSegment
            ? JsonNode.Parse(body.FirstSpan, documentOptions: DocumentOptions)
            : JsonNode.Parse(body.ToArray(), documentOptions: DocumentOptions);

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
