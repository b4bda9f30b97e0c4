using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using MlcAspire.ReferenceEngine.Cli;
using MlcAspire.ReferenceEngine.Protocol;
using MlcAspire.ReferenceEngine.Serving;
using MlcAspire.ReferenceEngine.Telemetry;

namespace MlcAspire.ReferenceEngine.Apis;

/// <summary>
/// What <c>/v1/completions</c>, <c>/v1/chat/completions</c> and <c>start_generate</c> share once a request is valid
/// (<see cref="RequestValidator"/>): handing it to the engine loop, and answering with a whole response or an SSE
/// stream in the request's <see cref="IResponseShape"/> (mlc-protocol.md §2.3–2.5).
/// </summary>
internal sealed class CompletionGateway(
    EngineMailbox mailbox,
    EngineOptions options,
    FaultInjection faults,
    TimeProvider timeProvider,
    ChunkTimeLog chunkTimes,
    ILogger<CompletionGateway> logger)
{
    public EngineTicket Submit(string id, RequestKind kind, PreparedCompletion prepared, CompletionRequest? window, CancellationToken aborted) =>
        mailbox.Submit(events => new EngineRequest(id, kind, prepared.Prompt, prepared.Settings, events, aborted)
        {
            WindowBegin = window?.Begin ?? 0,
            WindowEnd = window?.End ?? -1,
            KvAddrInfo = window?.KvAddrInfo,
            RecvRank = window?.RecvRank ?? -1,
            TraceParent = System.Diagnostics.Activity.Current?.Context ?? default,
        });

    public void Abort(EngineTicket ticket)
    {
        EngineLog.ClientDisconnected(logger, ticket.Id);
        mailbox.Abort(ticket);
    }

    /// <summary>Reads the next event; null once the engine has ended the request's event stream.</summary>
    public static async ValueTask<EngineEvent?> NextAsync(EngineTicket ticket, CancellationToken cancellationToken) =>
        await ticket.Events.WaitToReadAsync(cancellationToken) && ticket.Events.TryRead(out var item) ? item : null;

    /// <summary>
    /// Answers with the completion. Like MLC, the status and headers go out only once the first event exists, so
    /// a rejection is an ordinary HTTP error; a client that leaves aborts the request and frees its pages.
    /// </summary>
    public async Task<IResult> RespondAsync(
        HttpContext context, SamplingRequest request, IResponseShape shape, EngineTicket ticket, CancellationToken cancellationToken)
    {
        EngineEvent? first;
        try
        {
            first = await NextAsync(ticket, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Abort(ticket);
            return EngineResults.BadRequest("The request has disconnected");
        }

        if (first is RejectedEvent rejected)
        {
            return EngineResults.BadRequest(rejected.Message);
        }

        var created = timeProvider.GetUtcNow().ToUnixTimeSeconds();
        if (!request.Stream)
        {
            return await CollectAsync(request, shape, ticket, first, created, cancellationToken);
        }

        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        context.Response.Headers.CacheControl = "no-cache";
        var events = StreamAsync(request, shape, ticket, first, created, cancellationToken);
        if (faults.Enabled)
        {
            events = faults.ApplyAsync(context, events, cancellationToken);
        }

        return TypedResults.ServerSentEvents(chunkTimes.Enabled ? chunkTimes.RecordAsync(ticket.Id, events, cancellationToken) : events);
    }

    private async IAsyncEnumerable<string> StreamAsync(
        SamplingRequest request, IResponseShape shape, EngineTicket ticket, EngineEvent? current, long created,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var ended = false;
        try
        {
            foreach (var opening in shape.Opening(ticket.Id, created))
            {
                yield return opening;
            }

            var finishReasons = new string?[request.ChoiceCount];
            while (current is not null)
            {
                switch (current)
                {
                    case TokensEvent tokens when shape.Chunk(ticket.Id, created, tokens, finishReasons) is { } chunk:
                        yield return chunk;
                        break;

                    case FinishedEvent finished:
                        ended = true;
                        foreach (var closing in shape.Closing(ticket.Id, created, finishReasons))
                        {
                            yield return closing;
                        }

                        if (request.StreamOptions?.IncludeUsage == true)
                        {
                            yield return shape.UsageChunk(ticket.Id, created, ToUsage(finished.Usage));
                        }

                        yield return "[DONE]";
                        yield break;

                    case RejectedEvent rejected:
                        // The status is already sent: one error event, and no [DONE], so clients see a failed stream.
                        ended = true;
                        yield return $"{{\"error\":{JsonSerializer.Serialize(new EngineError(rejected.Message, StatusCodes.Status500InternalServerError), EngineJson.Context.EngineError)}}}";
                        yield break;
                }

                current = await NextAsync(ticket, cancellationToken);
            }

            ended = true;
        }
        finally
        {
            if (!ended)
            {
                Abort(ticket);
            }
        }
    }

    private async Task<IResult> CollectAsync(
        SamplingRequest request, IResponseShape shape, EngineTicket ticket, EngineEvent? current, long created, CancellationToken cancellationToken)
    {
        var choices = new CollectedChoices(request.ChoiceCount);
        UsageStats? usage = null;
        try
        {
            while (current is not null && usage is null)
            {
                switch (current)
                {
                    case TokensEvent tokens:
                        choices.Add(tokens);
                        break;
                    case FinishedEvent finished:
                        usage = finished.Usage;
                        continue;
                    case RejectedEvent rejected:
                        return EngineResults.BadRequest(rejected.Message);
                }

                current = await NextAsync(ticket, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            Abort(ticket);
            return EngineResults.BadRequest("The request has disconnected");
        }

        return usage is null
            ? EngineResults.BadRequest("The request was aborted.")
            : shape.Answer(ticket.Id, created, choices, ToUsage(usage));
    }

    private CompletionUsage ToUsage(UsageStats usage)
    {
        UsageExtra? extra = null;
        if (options.EnableDebug)
        {
            var decodeSeconds = usage.EndToEndSeconds - usage.TimeToFirstTokenSeconds;
            extra = new UsageExtra(
                usage.PromptTokens,
                usage.CompletionTokens,
                usage.PrefillTokens,
                usage.DecodeTokens,
                0,
                usage.PrefillTokens > 0 && usage.TimeToFirstTokenSeconds > 0 ? usage.PrefillTokens / usage.TimeToFirstTokenSeconds : null,
                usage.DecodeTokens > 0 && decodeSeconds > 0 ? usage.DecodeTokens / decodeSeconds : null,
                usage.EndToEndSeconds,
                usage.TimeToFirstTokenSeconds,
                usage.CompletionTokens > 0 ? usage.EndToEndSeconds / usage.CompletionTokens : 0);
        }

        return new CompletionUsage(usage.PromptTokens, usage.CompletionTokens, usage.PromptTokens + usage.CompletionTokens, extra);
    }
}
