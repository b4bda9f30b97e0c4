using System.Globalization;
using Microsoft.AspNetCore.Http.Features;

namespace MlcAspire.Router.Admission;

/// <summary>
/// Guards <c>POST /v1/completions</c> before its body is read: 503 while the router is stopping or a role the mode
/// needs (decode and prefill in disagg mode) has no healthy engine, 429 when the in-flight slots and the wait queue are full (both with <c>Retry-After</c> and the
/// OpenAI envelope), also 429 when the bodies in flight would outweigh their budget, the body size capped for chunked
/// bodies too, and the drain deadline of a graceful shutdown.
/// </summary>
internal sealed class AdmissionMiddleware(
    RequestDelegate next, AdmissionGate gate, BodyBudget bodyBudget, ShutdownDrain drain, EngineScheduler scheduler,
    IOptions<RouterOptions> routerOptions, IOptions<RouterReliabilityOptions> options, ILogger<AdmissionMiddleware> logger)
{
    public const string CompletionsPath = "/v1/completions";

    private readonly RouterReliabilityOptions _options = options.Value;

    public async Task InvokeAsync(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method) || !context.Request.Path.Equals(CompletionsPath, StringComparison.OrdinalIgnoreCase))
        {
            await next(context);
            return;
        }

        if (drain.Stopping.IsCancellationRequested)
        {
            await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, "The router is shutting down.", "shutting_down");
            return;
        }

        if (scheduler.Unavailability is { } unavailable)
        {
            await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, unavailable, "no_healthy_engine");
            return;
        }

        var clientAborted = context.RequestAborted;
        if (!await gate.EnterAsync(clientAborted))
        {
            if (!clientAborted.IsCancellationRequested)
            {
                await RefuseAsync(context, StatusCodes.Status429TooManyRequests,
                    $"The router is at capacity ({gate.Capacity} running, {_options.MaxQueuedRequests} waiting); try again later.", "rate_limit_exceeded");
            }

            return;
        }

        var bodyLimit = routerOptions.Value.MaxRequestBodyBytes;
        var bodyBytes = Math.Min(context.Request.ContentLength ?? bodyLimit, bodyLimit);
        if (!bodyBudget.TryReserve(bodyBytes))
        {
            gate.Exit();
            await RefuseAsync(context, StatusCodes.Status429TooManyRequests,
                $"The router holds {bodyBudget.Held} bytes of request bodies, the most it may ({bodyBudget.Capacity}); try again later.", "rate_limit_exceeded");
            return;
        }

        try
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } kestrelLimit)
            {
                // The API answers 413 past MaxRequestBodyBytes; Kestrel's limit only bounds how much of an oversized body it
                // drains first (RequestBodyReader).
                kestrelLimit.MaxRequestBodySize = bodyLimit + RequestBodyReader.DrainAllowanceBytes;
            }

            // The relay sees the drain deadline as its cancellation, stops, and the error is written here.
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(clientAborted, drain.Deadline);
            context.RequestAborted = deadline.Token;
            await next(context);
            if (drain.Deadline.IsCancellationRequested && !clientAborted.IsCancellationRequested)
            {
                RouterLog.DrainDeadlineReached(logger, gate.InFlight);
                await EndAtDeadlineAsync(context, clientAborted);
            }
        }
        finally
        {
            context.RequestAborted = clientAborted;
            bodyBudget.Release(bodyBytes);
            gate.Exit();
        }
    }

    private static async Task EndAtDeadlineAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var error = OpenAIError.Create("The router shut down before the completion finished.", OpenAIError.ServerError, "shutting_down");
        try
        {
            // An SSE stream already sent 200: then this is one error event and no [DONE], as for any failure after the first byte.
            await OpenAIErrorResult.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, error, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            context.Abort();
        }
    }

    private Task RefuseAsync(HttpContext context, int status, string message, string code)
    {
        RouterLog.RequestShed(logger, status, message);
        RouterMetrics.RecordRefused(routerOptions.Value.Mode, "Shed");
        context.Response.Headers.RetryAfter = _options.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        var type = status == StatusCodes.Status429TooManyRequests ? "rate_limit_error" : OpenAIError.ServerError;
        return OpenAIErrorResult.WriteAsync(context, status, OpenAIError.Create(message, type, code), CancellationToken.None);
    }
}
