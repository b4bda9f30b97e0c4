using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using MlcAspire.Models;
using MlcAspire.ReferenceEngine.Cli;
using MlcAspire.ReferenceEngine.Protocol;
using MlcAspire.ReferenceEngine.Serving;
using MlcAspire.ReferenceEngine.Telemetry;

namespace MlcAspire.ReferenceEngine.Apis;

/// <summary>
/// What <c>/v1/completions</c> and <c>start_generate</c> share: validating a request against the model, handing it
/// to the engine loop, and answering with a completion or an SSE stream shaped as MLC's (mlc-protocol.md §2.2–2.5).
/// </summary>
internal sealed class CompletionGateway(
    EngineMailbox mailbox,
    EngineOptions options,
    EngineFaults faults,
    MlcModel model,
    EngineLimits limits,
    TimeProvider timeProvider,
    ChunkTimeLog chunkTimes,
    ILogger<CompletionGateway> logger)
{
    public bool DebugEnabled => options.EnableDebug;

    /// <summary>Checks the request and resolves its prompt and sampling settings; an answer to send when it is invalid.</summary>
    public (PreparedCompletion? Prepared, IResult? Error) Prepare(CompletionRequest request)
    {
        if (request.BestOf is { } bestOf && bestOf != 1)
        {
            return (null, EngineResults.BadRequest("Request fields \"best_of\" are not supported right now."));
        }

        var invalid = new List<ValidationErrorDetail>();
        CheckRange(invalid, "logprobs", request.Logprobs, 0, 5);
        CheckRange(invalid, "frequency_penalty", request.FrequencyPenalty, -2, 2);
        CheckRange(invalid, "presence_penalty", request.PresencePenalty, -2, 2);
        CheckRange(invalid, "n", request.N, 1, limits.MaxNumSequence);
        CheckRange(invalid, "max_tokens", request.MaxTokens, 1, int.MaxValue);
        CheckRange(invalid, "temperature", request.Temperature, 0, 2);
        CheckRange(invalid, "top_p", request.TopP, 1e-9, 1);
        if (request.LogitBias?.Values.Any(bias => Math.Abs(bias) > 100) == true)
        {
            invalid.Add(EngineResults.Invalid("logit_bias", "value_error", "Value error, logit bias value out of range [-100, 100]", null));
        }

        var stops = ReadStops(request.Stop, invalid);
        RequestLimits.Check(request, stops, invalid);
        if (invalid.Count == 0 && RequestLimits.CheckPromptLength(request.Prompt, model, limits.MaxSequenceLength) is { } tooLong)
        {
            return (null, tooLong);
        }

        var prompt = ReadPrompt(request.Prompt, invalid);
        if (invalid.Count > 0)
        {
            return (null, EngineResults.Validation(invalid));
        }

        if (prompt is null || prompt.Length == 0 || prompt.Any(token => token < 0 || token >= limits.VocabSize))
        {
            return (null, EngineResults.BadRequest("Invalid request prompt"));
        }

        if (prompt.Length > limits.MaxSequenceLength)
        {
            return (null, EngineResults.BadRequest(
                $"Request prompt has {prompt.Length} tokens in total, larger than the model input length limit {limits.MaxSequenceLength}."));
        }

        var debug = options.EnableDebug ? request.DebugConfig : null;
        var settings = new GenerationSettings(
            request.ChoiceCount,
            request.Temperature ?? model.Config.Temperature,
            request.TopP ?? model.Config.TopP,
            request.Seed is { } seed ? unchecked((ulong)seed) : BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(sizeof(ulong))),
            request.MaxTokens ?? -1,
            stops,
            debug?.IgnoreEos ?? false,
            request.Logprobs);
        var promptText = request.Prompt.ValueKind == JsonValueKind.String ? request.Prompt.GetString()! : model.Tokenizer.Decode(prompt) ?? "";
        return (new PreparedCompletion(prompt, settings, promptText), null);
    }

    public EngineTicket Submit(string id, RequestKind kind, PreparedCompletion prepared, CompletionRequest request, CancellationToken aborted) =>
        mailbox.Submit(events => new EngineRequest(id, kind, prepared.Prompt, prepared.Settings, events, aborted)
        {
            WindowBegin = request.Begin ?? 0,
            WindowEnd = request.End ?? -1,
            KvAddrInfo = request.KvAddrInfo,
            RecvRank = request.RecvRank ?? -1,
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
    public async Task<IResult> RespondAsync(HttpContext context, CompletionRequest request, PreparedCompletion prepared, EngineTicket ticket, CancellationToken cancellationToken)
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
        if (request.Stream)
        {
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            context.Response.Headers.CacheControl = "no-cache";
            var events = StreamAsync(context, request, prepared, ticket, first, created, cancellationToken);
            return TypedResults.ServerSentEvents(chunkTimes.Enabled ? chunkTimes.RecordAsync(ticket.Id, events, cancellationToken) : events);
        }

        return await CollectAsync(request, prepared, ticket, first, created, cancellationToken);
    }

    private async IAsyncEnumerable<string> StreamAsync(
        HttpContext context,
        CompletionRequest request, PreparedCompletion prepared, EngineTicket ticket, EngineEvent? current, long created,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var ended = false;
        try
        {
            if (request.Echo)
            {
                yield return Serialize(new CompletionResponse(ticket.Id, [.. Enumerable.Range(0, request.ChoiceCount).Select(i => new CompletionChoice(null, i, null, prepared.PromptText))], created, request.Model, null));
            }

            var finishReasons = new string?[request.ChoiceCount];
            var chunks = 0;
            while (current is not null)
            {
                chunks++;
                if (faults.AbortStreamAfterChunks is { } limit && chunks > limit)
                {
                    // Test fault: cut the connection mid-stream, as a crashing engine would.
                    context.Abort();
                    yield break;
                }

                if (faults.EndStreamAfterChunks is { } endLimit && chunks > endLimit)
                {
                    // Test fault: a stream that ends cleanly but too early, without [DONE].
                    yield break;
                }

                if (faults.InvalidJsonAfterChunks is { } jsonLimit && chunks > jsonLimit)
                {
                    // Test fault: a data line that is not JSON; the request is aborted (and its pages freed) below.
                    yield return "{\"choices\": [not json";
                    yield break;
                }

                if (chunks > 1 && faults.StallBetweenChunks > TimeSpan.Zero)
                {
                    await Task.Delay(faults.StallBetweenChunks, timeProvider, cancellationToken);
                }

                switch (current)
                {
                    case TokensEvent tokens:
                        foreach (var choice in tokens.Choices.Where(c => c.FinishReason is not null))
                        {
                            finishReasons[choice.Index] = choice.FinishReason;
                        }

                        yield return Serialize(new CompletionResponse(ticket.Id, [.. tokens.Choices.Select(ToChoice)], created, request.Model, null));
                        break;

                    case FinishedEvent finished:
                        ended = true;
                        if (request.Suffix is not null)
                        {
                            yield return Serialize(new CompletionResponse(ticket.Id, [.. finishReasons.Select((reason, i) => new CompletionChoice(reason, i, null, request.Suffix))], created, request.Model, null));
                        }

                        if (request.StreamOptions?.IncludeUsage == true)
                        {
                            yield return Serialize(new CompletionResponse(ticket.Id, [], created, request.Model, ToUsage(finished.Usage)));
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

    private async Task<IResult> CollectAsync(CompletionRequest request, PreparedCompletion prepared, EngineTicket ticket, EngineEvent? current, long created, CancellationToken cancellationToken)
    {
        var texts = Enumerable.Range(0, request.ChoiceCount).Select(_ => new StringBuilder(request.Echo ? prepared.PromptText : "")).ToArray();
        var finishReasons = new string?[request.ChoiceCount];
        var logprobs = Enumerable.Range(0, request.ChoiceCount).Select(_ => new List<TokenLogprob>()).ToArray();
        UsageStats? usage = null;
        try
        {
            while (current is not null && usage is null)
            {
                switch (current)
                {
                    case TokensEvent tokens:
                        foreach (var choice in tokens.Choices)
                        {
                            texts[choice.Index].Append(choice.Text);
                            finishReasons[choice.Index] ??= choice.FinishReason;
                            logprobs[choice.Index].AddRange(choice.Logprobs);
                        }

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

        if (usage is null)
        {
            return EngineResults.BadRequest("The request was aborted.");
        }

        var choices = Enumerable.Range(0, request.ChoiceCount)
            .Select(i => new CompletionChoice(finishReasons[i], i, ToLogprobs(logprobs[i], request.Logprobs is not null), texts[i].Append(request.Suffix).ToString()))
            .ToList();
        return TypedResults.Json(new CompletionResponse(ticket.Id, choices, created, request.Model, ToUsage(usage)), EngineJson.Context.CompletionResponse);
    }

    private static string Serialize(CompletionResponse response) => JsonSerializer.Serialize(response, EngineJson.Context.CompletionResponse);

    private static CompletionChoice ToChoice(ChoiceDelta delta) =>
        new(delta.FinishReason, delta.Index, ToLogprobs(delta.Logprobs, delta.Logprobs.Count > 0), delta.Text);

    private static CompletionLogprobs? ToLogprobs(IReadOnlyList<TokenLogprob> logprobs, bool requested) => requested
        ? new CompletionLogprobs(
            null,
            [.. logprobs.Select(l => l.Logprob)],
            [.. logprobs.Select(l => l.Token)],
            [.. logprobs.Select(l => l.TopLogprobs.DistinctBy(p => p.Key).ToDictionary(p => p.Key, p => p.Value))])
        : null;

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

    private int[]? ReadPrompt(JsonElement prompt, List<ValidationErrorDetail> invalid)
    {
        switch (prompt.ValueKind)
        {
            case JsonValueKind.String:
                return [.. model.Tokenizer.EncodeToIds(prompt.GetString()!)];
            case JsonValueKind.Array when prompt.EnumerateArray().All(item => item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out _)):
                return [.. prompt.EnumerateArray().Select(item => item.GetInt32())];
            default:
                invalid.Add(EngineResults.Invalid("prompt", "string_type", "Input should be a valid string or a list of integers", JsonNode.Parse(prompt.GetRawText())));
                return null;
        }
    }

    private static IReadOnlyList<string> ReadStops(JsonElement stop, List<ValidationErrorDetail> invalid)
    {
        switch (stop.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                return [];
            case JsonValueKind.String:
                return [stop.GetString()!];
            case JsonValueKind.Array when stop.EnumerateArray().All(item => item.ValueKind == JsonValueKind.String):
                return [.. stop.EnumerateArray().Select(item => item.GetString()!).Where(s => s.Length > 0)];
            default:
                invalid.Add(EngineResults.Invalid("stop", "string_type", "Input should be a valid string or a list of strings", JsonNode.Parse(stop.GetRawText())));
                return [];
        }
    }

    private static void CheckRange(List<ValidationErrorDetail> invalid, string field, double? value, double min, double max)
    {
        if (value is { } v && (v < min || v > max))
        {
            invalid.Add(EngineResults.Invalid(field, "value_error", $"Value error, {field} must be in [{min}, {max}], got {v}", JsonValue.Create(v)));
        }
    }
}

/// <summary>A validated request: its token ids, settings, and the prompt text that <c>echo</c> returns.</summary>
internal sealed record PreparedCompletion(int[] Prompt, GenerationSettings Settings, string PromptText);
