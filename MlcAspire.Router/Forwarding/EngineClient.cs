using System.Text;

namespace MlcAspire.Router.Forwarding;

/// <summary>
/// Calls engines over the pooled, service-discovery-aware HttpClient (typed client, infinite
/// <see cref="HttpClient.Timeout"/>, no resilience handler): every budget is a per-phase
/// <see cref="ActivityTimeout"/> owned by the caller, and no POST is ever retried here.
/// </summary>
public sealed class EngineClient(HttpClient httpClient, TimeProvider timeProvider, ILogger<EngineClient> logger)
{
    private const int MaxErrorBodyBytes = 64 * 1024;

    /// <summary>
    /// POSTs <paramref name="body"/> and returns the open response once its headers arrived with a 2xx status, or a
    /// failure. A successful response's body is the caller's to read and dispose, together with the span.
    /// </summary>
    public async ValueTask<EngineResponse> SendAsync(
        EngineState engine, string path, string role, string requestId, EngineRequestBody body, ActivityTimeout timeout, CancellationToken cancellationToken)
    {
        var telemetry = EngineCallTelemetry.Start(timeProvider, path, engine, role, requestId, body);
        var content = new EngineRequestContent(body.Json);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(engine.BaseAddress, path)) { Content = content };

        HttpResponseMessage? response = null;
        try
        {
            response = await httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (response.IsSuccessStatusCode)
            {
                return new EngineResponse(engine, requestId, response, null, telemetry);
            }

            var statusCode = (int)response.StatusCode;
            var text = await ReadErrorBodyAsync(response, timeout.Token);
            var message = EngineErrorBody.ReadMessage(text, statusCode);
            var error = statusCode is >= 400 and < 500 ? EngineCallError.EngineRejected : EngineCallError.EngineFailed;
            response.Dispose();
            return Fail(new EngineFailure(error, message, statusCode));
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
        {
            response?.Dispose();
            return Fail(Classify(ex, engine, path, timeout, cancellationToken, requestWritten: content.Written));
        }

        EngineResponse Fail(EngineFailure failure)
        {
            var result = new EngineResponse(engine, requestId, null, failure, telemetry);
            result.Complete(failure);
            if (failure.Error != EngineCallError.Canceled)
            {
                engine.CountFailedCall();
                RouterLog.EngineCallFailed(logger, path, engine.Name, requestId, failure.Error, failure.EngineStatusCode, failure.Message);
            }

            return result;
        }
    }

    /// <summary>POSTs a MicroServing call whose answer is one small JSON object, read whole within the same timeout.</summary>
    public async ValueTask<(JsonNode? Body, EngineFailure? Failure)> PostForJsonAsync(
        EngineState engine, string path, string role, string requestId, EngineRequestBody body, ActivityTimeout timeout, CancellationToken cancellationToken)
    {
        await using var response = await SendAsync(engine, path, role, requestId, body, timeout, cancellationToken);
        if (response.Failure is { } failure)
        {
            return (null, failure);
        }

        try
        {
            var content = await response.Response!.Content.ReadAsByteArrayAsync(timeout.Token);
            var node = JsonNode.Parse(content);
            response.Telemetry.TagAnswer(node);
            response.Complete(null);
            return (node, null);
        }
        catch (JsonException ex)
        {
            var invalid = new EngineFailure(EngineCallError.InvalidResponse, $"{engine.Name} answered {path} with invalid JSON: {ex.Message}");
            response.Complete(invalid);
            return (null, invalid);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
        {
            var failed = Classify(ex, engine, path, timeout, cancellationToken);
            response.Complete(failed);
            return (null, failed);
        }
    }

    /// <summary>Turns a transport exception into the failure the client should see.</summary>
    /// <param name="requestWritten">
    /// Whether the request's body went whole to the connection. When it did not, or the connection could not even be
    /// made, the engine provably never read the request (<see cref="EngineFailure.BeforeRequestSent"/>).
    /// </param>
    public static EngineFailure Classify(
        Exception ex, EngineState engine, string path, ActivityTimeout timeout, CancellationToken cancellationToken, bool requestWritten = true)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return EngineFailure.Canceled;
        }

        var failure = timeout.TimedOut
            ? new EngineFailure(EngineCallError.Timeout, $"{engine.Name} did not answer {path} in time.")
            : new EngineFailure(EngineCallError.Transport, $"{engine.Name} could not be reached for {path}: {ex.Message}");
        return failure with
        {
            BeforeRequestSent = !requestWritten || ex is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError },
        };
    }

    /// <summary>Reads a response body up to <paramref name="maxBytes"/>; <c>Complete</c> is false when it is longer.</summary>
    public static async Task<(ArraySegment<byte> Body, bool Complete)> ReadBodyAsync(HttpResponseMessage response, int maxBytes, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        // One byte beyond the limit tells a body of exactly maxBytes from a longer one.
        var buffer = new byte[Math.Clamp(response.Content.Headers.ContentLength ?? 16 * 1024, 1, maxBytes) + 1];
        var total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0)
        {
            total += read;
            if (total > maxBytes)
            {
                return (new ArraySegment<byte>(buffer, 0, maxBytes), false);
            }

            if (total == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min(buffer.Length * 2L, maxBytes + 1L));
            }
        }

        return (new ArraySegment<byte>(buffer, 0, total), true);
    }

    private static async Task<string> ReadErrorBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var (body, _) = await ReadBodyAsync(response, MaxErrorBodyBytes, cancellationToken);
        return Encoding.UTF8.GetString(body);
    }
}
