using System.Net;

namespace MlcAspire.Router.Forwarding;

/// <summary>
/// Runs a completion: attempts through the <see cref="ICompletionStrategy"/>, relays the generating engine's SSE to
/// the client (or passes on its whole answer to a non-streaming client), retries preempted attempts and maps failures.
/// </summary>
/// <remarks>
/// Steps:
/// 1. Start an attempt with a fresh request id (the first attempt's id is the client-facing id).
/// 2. A failure before any byte reached the client becomes an HTTP error with the OpenAI envelope.
/// 3. Relay the engine's chunks, re-arming the idle timeout on every read; or, for a non-streaming client, read the
///    engine's own non-streamed answer within <see cref="RouterOptions.CompletionTimeout"/>.
/// 4. <c>finish_reason: "preempt"</c> drops the attempt; after a backoff a new attempt starts (bounded), and text
///    already sent is skipped (<see cref="RetryDeduplicator"/>); a retry whose text differs from it ends the stream
///    with a <c>retry_diverged</c> error event instead.
/// 5. A failure after the stream started is one <c>data: {"error":…}</c> event with no <c>[DONE]</c>. An engine
///    fault whose request provably never reached the engine (<see cref="EngineFailure.BeforeRequestSent"/>) is retried
///    once, as a new attempt that the scheduler sends elsewhere (the failed engine's circuit counted the fault and the
///    rotation moved past it). Nothing else is: once a POST went out the engine may still be computing it.
/// </remarks>
public sealed class CompletionRelay(
    ICompletionStrategy strategy, TimeProvider timeProvider, IOptions<RouterOptions> options, IOptions<RouterReliabilityOptions> reliability,
    IOptions<RoutingOptions> routing, ILogger<CompletionRelay> logger)
{
    /// <summary>Largest non-streamed answer read from an engine: far above any real completion, yet bounded.</summary>
    private const int MaxAnswerBytes = 64 * 1024 * 1024;

    private readonly RouterOptions _options = options.Value;
    private readonly RouterReliabilityOptions _reliability = reliability.Value;
    private readonly RoutingOptions _routing = routing.Value;

    /// <summary>Asks for (request) and carries (response) the routing explanation.</summary>
    public const string RouteHeader = "X-Mlc-Route";

    public async Task RelayAsync(HttpContext context, CompletionRequest request, CancellationToken cancellationToken)
    {
        var clientId = CompletionAttempt.NewRequestId();
        var deduplicator = new RetryDeduplicator(clientId);
        var outcome = "Success";
        var retriedFault = false;
        using var logScope = RouterLog.BeginRequestScope(logger, clientId);
        var telemetry = RequestTelemetry.Begin(timeProvider, _options.Mode.ToString(), _options.Model, request.Operation);
        var shaper = new ResponseShaper(request, clientId, _options.Model);
        try
        {
            for (var number = 0; ; number++)
            {
                // :: Step 1
                var attempt = new CompletionAttempt(request, number == 0 ? clientId : CompletionAttempt.NewRequestId(), number);
                RouterLog.CompletionDispatched(logger, attempt.RequestId, number, _options.Mode);
                AttemptResult result;
                string engineName;
                await using (var start = await strategy.StartAsync(attempt, cancellationToken))
                {
                    // :: Step 2
                    if (start.Failure is { } failure)
                    {
                        if (CanRetryFault(context, failure, ref retriedFault))
                        {
                            RouterLog.RetriedOnAnotherEngine(logger, attempt.RequestId, "the handoff", failure.Error);
                            continue;
                        }

                        outcome = failure.Error.ToString();
                        await FailAsync(context, clientId, failure, cancellationToken);
                        return;
                    }

                    // :: Step 3
                    engineName = start.Response!.Engine.Name;
                    ShowRoute(context, attempt);
                    if (number > 0)
                    {
                        deduplicator.BeginRetry();
                    }

                    result = request.Stream
                        ? await StreamAttemptAsync(context, start, deduplicator, shaper, number, cancellationToken)
                        : await AnswerAttemptAsync(context, start, clientId, shaper, cancellationToken);
                    start.Response.Complete(result.Failure, result.Preempted ? "Preempted" : null);
                }

                if (result.Failure is { } attemptFailure)
                {
                    // :: Step 5
                    if (CanRetryFault(context, attemptFailure, ref retriedFault))
                    {
                        RouterLog.RetriedOnAnotherEngine(logger, attempt.RequestId, engineName, attemptFailure.Error);
                        continue;
                    }

                    outcome = attemptFailure.Error.ToString();
                    await FailAsync(context, clientId, attemptFailure, cancellationToken);
                    return;
                }

                if (!result.Preempted)
                {
                    return;
                }

                // :: Step 4
                if (number >= _options.MaxPreemptRetries)
                {
                    outcome = nameof(EngineCallError.PreemptRetriesExhausted);
                    await FailAsync(context, clientId, new EngineFailure(EngineCallError.PreemptRetriesExhausted,
                        $"The engines preempted this request {number + 1} times; try again later."), cancellationToken);
                    return;
                }

                RouterMetrics.PreemptRetries.Add(1, new KeyValuePair<string, object?>(RouterTelemetry.EngineTag, engineName));
                RouterLog.PreemptRetry(logger, attempt.RequestId, engineName, number + 1, _options.MaxPreemptRetries);
                await Task.Delay(_options.PreemptBackoff * Math.Pow(2, number), timeProvider, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            outcome = nameof(EngineCallError.Canceled);
            RouterLog.ClientDisconnected(logger, clientId);
        }
        finally
        {
            telemetry.Finish(clientId, outcome);
        }
    }

    /// <summary>
    /// The opt-in <c>X-Mlc-Route</c> response header: where the attempt ran and why (the client sent <c>X-Mlc-Route</c>,
    /// or <see cref="RoutingOptions.ExposeRoute"/> is on). Engine names are resource names, not addresses.
    /// </summary>
    private void ShowRoute(HttpContext context, CompletionAttempt attempt)
    {
        if (attempt.Route is { } route && !context.Response.HasStarted
            && (_routing.ExposeRoute || context.Request.Headers.ContainsKey(RouteHeader)))
        {
            context.Response.Headers[RouteHeader] = route.Describe();
        }
    }

    /// <summary>
    /// An engine fault (not the request's, not the client's) that provably started no engine work, with nothing sent to
    /// the client yet, may be retried, once.
    /// </summary>
    private static bool CanRetryFault(HttpContext context, EngineFailure failure, ref bool retried)
    {
        if (retried || context.Response.HasStarted || failure is not { IsEngineFault: true, BeforeRequestSent: true })
        {
            return false;
        }

        retried = true;
        return true;
    }

    private async Task<AttemptResult> StreamAttemptAsync(
        HttpContext context, CompletionStart start, RetryDeduplicator deduplicator, ResponseShaper shaper, int number, CancellationToken cancellationToken)
    {
        var result = await ReadEngineStreamAsync(start, async (payload, chunk) =>
        {
            if (number == 0)
            {
                deduplicator.RecordSent(chunk);
            }
            else
            {
                var rewritten = deduplicator.Rewrite(payload.Span);
                if (deduplicator.Diverged)
                {
                    return new EngineFailure(EngineCallError.RetryDiverged,
                        $"{start.Response!.Engine.Name} preempted this completion, and its restart did not repeat the text already sent; the stream ends here rather than splice two texts.");
                }

                if (rewritten is null)
                {
                    return null;
                }

                (payload, chunk) = (rewritten, CompletionChunk.Scan(rewritten));
            }

            foreach (var shaped in shaper.Shape(payload, chunk))
            {
                await SseResponse.WriteEventAsync(context, shaped, cancellationToken);
            }

            return null;
        }, cancellationToken);
        if (result != AttemptResult.Completed)
        {
            return result;
        }

        await SseResponse.WriteDoneAsync(context, cancellationToken);
        return AttemptResult.Completed;
    }

    /// <summary>
    /// Reads a non-streaming engine's answer whole (the engine joins it: text per choice, the first finish_reason,
    /// logprobs concatenated, and usage, mlc-protocol.md §2.3) and passes it on under the client-facing id and the router's model.
    /// </summary>
    private async Task<AttemptResult> AnswerAttemptAsync(
        HttpContext context, CompletionStart start, string clientId, ResponseShaper shaper, CancellationToken cancellationToken)
    {
        var response = start.Response!;
        var timeout = start.GenerationTimeout!;
        JsonObject answer;
        try
        {
            var (body, complete) = await EngineClient.ReadBodyAsync(response.Response!, MaxAnswerBytes, timeout.Token);
            if (!complete)
            {
                return AttemptResult.Failed(new EngineFailure(EngineCallError.InvalidResponse,
                    $"{response.Engine.Name} answered with more than {MaxAnswerBytes / (1024 * 1024)} MiB; ask for a completion this large as a stream."));
            }

            RequestTelemetry.Current?.ObserveAnswer(body);
            if (shaper.TryPatchAnswer(body) is { } patched)
            {
                await WriteAnswerAsync(context, patched, cancellationToken);
                return AttemptResult.Completed;
            }

            answer = JsonNode.Parse(body) as JsonObject ?? throw new JsonException("The answer is not a JSON object.");
            if (answer["error"] is JsonObject or JsonValue)
            {
                return AttemptResult.Failed(new EngineFailure(EngineCallError.EngineFailed, EngineErrorBody.ReadMessage(
                    System.Text.Encoding.UTF8.GetString(body), (int)HttpStatusCode.BadGateway)));
            }

            if (answer["choices"] is not JsonArray choices)
            {
                throw new JsonException("The answer has no 'choices' list.");
            }

            if (choices.Any(choice => choice?["finish_reason"]?.GetValue<string>() == FinishReasons.Preempt))
            {
                return AttemptResult.Preemption;
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return AttemptResult.Failed(new EngineFailure(EngineCallError.InvalidResponse, $"{response.Engine.Name} answered with something that is not a completion: {ex.Message}"));
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return AttemptResult.Failed(EngineClient.Classify(ex, response.Engine, "completion", timeout, cancellationToken));
        }

        // The engine's id is this attempt's; a preempt retry's differs from the id the client was promised.
        answer["id"] = clientId;
        answer["model"] = _options.Model;
        await WriteAnswerAsync(context, JsonSerializer.SerializeToUtf8Bytes(shaper.ShapeAnswer(answer), RouterJsonContext.Default.JsonObject), cancellationToken);
        return AttemptResult.Completed;
    }

    private static async Task WriteAnswerAsync(HttpContext context, byte[] answer, CancellationToken cancellationToken)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        // Known length, no chunked framing: the answer and its end leave in one send, not a second one for the last chunk.
        context.Response.ContentLength = answer.Length;
        await context.Response.Body.WriteAsync(answer, cancellationToken);
    }

    /// <summary>
    /// Reads an engine's stream to <c>[DONE]</c>, handing every completion chunk to <paramref name="onChunk"/>, whose
    /// failure, when it returns one, ends the attempt. An error
    /// event, a preempt, a stream that ends early, a malformed chunk or a transport fault ends the attempt instead.
    /// </summary>
    private async Task<AttemptResult> ReadEngineStreamAsync(
        CompletionStart start, Func<ReadOnlyMemory<byte>, CompletionChunk, ValueTask<EngineFailure?>> onChunk, CancellationToken cancellationToken)
    {
        var response = start.Response!;
        var timeout = start.GenerationTimeout!;
        response.Engine.Health.OnStreamStarted();
        try
        {
            await using var body = await response.Response!.Content.ReadAsStreamAsync(timeout.Token);
            var reader = new EngineSseReader(body, timeout, _options.IdleTimeout);
            await foreach (var payload in reader.ReadAsync(timeout.Token))
            {
                response.Engine.Health.RecordProgress();
                var chunk = CompletionChunk.Scan(payload.Span);
                RequestTelemetry.Current?.ObserveChunk(payload.Span);
                if (chunk.IsError)
                {
                    return AttemptResult.Failed(new EngineFailure(EngineCallError.EngineFailed, EngineErrorBody.ReadMessage(
                        System.Text.Encoding.UTF8.GetString(payload.Span), (int)HttpStatusCode.BadGateway)));
                }

                if (chunk.IsPreempted)
                {
                    return AttemptResult.Preemption;
                }

                if (await onChunk(payload, chunk) is { } failure)
                {
                    return AttemptResult.Failed(failure);
                }
            }

            return reader switch
            {
                { SawDone: true } => AttemptResult.Completed,
                { LineTooLong: true } => AttemptResult.Failed(new EngineFailure(EngineCallError.InvalidResponse,
                    $"{response.Engine.Name} sent an SSE line longer than {EngineSseReader.MaxLineBytes} bytes; no completion chunk is that large.")),
                _ => AttemptResult.Failed(new EngineFailure(EngineCallError.Transport, $"{response.Engine.Name} ended the stream before [DONE].")),
            };
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            // Not JSON, or JSON whose fields have the wrong types: the engine broke the protocol.
            return AttemptResult.Failed(new EngineFailure(EngineCallError.InvalidResponse, $"{response.Engine.Name} sent a chunk that is not a completion chunk: {ex.Message}"));
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return AttemptResult.Failed(EngineClient.Classify(ex, response.Engine, "stream", timeout, cancellationToken));
        }
        finally
        {
            response.Engine.Health.OnStreamEnded();
        }
    }

    private async Task FailAsync(HttpContext context, string clientId, EngineFailure failure, CancellationToken cancellationToken)
    {
        context.Features.Set<ICompletionErrorFeature>(new CompletionErrorFeature(failure));
        if (failure.Error == EngineCallError.Canceled || cancellationToken.IsCancellationRequested)
        {
            RouterLog.ClientDisconnected(logger, clientId);
            return;
        }

        if (context.Response.HasStarted)
        {
            RouterLog.StreamFailed(logger, clientId, failure.Error, failure.Message);
        }
        else if (failure.ClientStatusCode == StatusCodes.Status503ServiceUnavailable)
        {
            // Like admission's 503: the condition (engines out of rotation, preemption under load) is expected to pass.
            context.Response.Headers.RetryAfter = _reliability.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await OpenAIErrorResult.WriteAsync(context, failure.ClientStatusCode, OpenAIError.From(failure), cancellationToken);
    }

    private readonly record struct AttemptResult(bool Preempted, EngineFailure? Failure)
    {
        public static AttemptResult Completed => new(false, null);

        public static AttemptResult Preemption => new(true, null);

        public static AttemptResult Failed(EngineFailure failure) => new(false, failure);
    }
}
