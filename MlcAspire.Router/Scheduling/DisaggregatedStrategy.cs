namespace MlcAspire.Router.Scheduling;

/// <summary>Prefill/decode disaggregation over MicroServing (mlc-protocol.md §5.4), with any number of prefill and decode engines.</summary>
/// <remarks>
/// Steps of one attempt:
/// 1. Resolve the KV window for the prompt and check it (mlc-protocol.md §4.5) before any engine is called.
/// 2. Lease the decode engine D and the prefill engine P ≠ D the routing policy prefers; P counts until its part is
///    done (step 4), D until the generation ends. With <c>--pd-balance-factor adaptive</c>, D is leased first and <see cref="AdaptiveSplit"/> chooses either
///    D alone (its own <c>/v1/completions</c>, no handoff) or the window end, and then P.
/// 3. prep_recv on D: D reserves KV slots for <c>[matched : end]</c> and answers the slots' metadata.
/// 4. remote_send on P, unless D's matched prefix already covers the window: P computes <c>[0 : end]</c> and pushes
///    <c>[matched : end]</c> into D's slots; the call returns once the KV is written.
/// 5. start_generate on D from <c>end</c>; its SSE response goes back to the router's relay. P's lease (and its
///    prefill backlog, <see cref="EngineState.PrefillBacklogTokens"/>) ended with step 4.
/// 6. If a step after prep_recv fails (or the client leaves), D's parked state is released
///    (<see cref="ReleaseDecodeStateAsync"/>), because MicroServing has no abort call (mlc-protocol.md §4.7). prep_recv
///    itself runs to its answer or its own timeout even when the client leaves, so the router knows whether there is a
///    state to release; when it ended without an answer (timeout, broken connection), D may have parked the id just
///    then, and <see cref="SettleDecodeStateAsync"/> finds out and releases it.
/// </remarks>
internal sealed class DisaggregatedStrategy(
    EngineScheduler scheduler, EngineClient client, RoundRobinStrategy wholeRequest, TimeProvider timeProvider, IOptions<RouterOptions> options,
    ILogger<DisaggregatedStrategy> logger) : ICompletionStrategy
{
    public const string PrepRecvPath = "microserving/prep_recv";
    public const string RemoteSendPath = "microserving/remote_send";
    public const string StartGeneratePath = "microserving/start_generate";

    private const string DecodeRole = "decode";
    private const string PrefillRole = "prefill";

    private readonly RouterOptions _options = options.Value;

    public bool RequiresPromptTokens => true;

    public async ValueTask<CompletionStart> StartAsync(CompletionAttempt attempt, CancellationToken cancellationToken)
    {
        var request = attempt.Request;
        var route = attempt.Route = scheduler.CreateRoute(request);
        var promptLength = request.PromptTokens?.Count ?? 0;
        if (scheduler.Routing.PdBalanceAdaptive)
        {
            return await StartAdaptiveAsync(attempt, route, promptLength, cancellationToken);
        }

        // :: Step 1
        var end = KvWindow.ComputeEnd(_options.PdBalanceFactor, promptLength);
        if (KvWindow.CheckPrepRecv(end, promptLength) is { } windowError)
        {
            return CompletionStart.Failed(new EngineFailure(EngineCallError.InvalidWindow, windowError));
        }

        // :: Step 2
        if (scheduler.AcquirePair(route) is not (var decode, var prefill))
        {
            return CompletionStart.Failed(new EngineFailure(EngineCallError.NoHealthyEngine, scheduler.Unavailability
                ?? "No decode engine with a distinct prefill engine is in rotation; try again later."));
        }

        return await HandOffAsync(attempt, route, decode, prefill, end, cancellationToken);
    }

    /// <summary>
    /// Step 2 of an adaptive attempt: lease the decode engine, decide the split (<see cref="AdaptiveSplit"/>), then either
    /// run the whole request on it or lease a prefill engine for the chosen window.
    /// </summary>
    private async ValueTask<CompletionStart> StartAdaptiveAsync(CompletionAttempt attempt, RouteContext route, int promptLength, CancellationToken cancellationToken)
    {
        var decode = scheduler.Acquire(EngineSelection.Decode, route: route);
        if (decode is null)
        {
            return CompletionStart.Failed(new EngineFailure(EngineCallError.NoHealthyEngine, scheduler.Unavailability
                ?? "No decode engine is in rotation; try again later."));
        }

        var prefillBacklog = scheduler.LowestPrefillBacklog(exclude: decode.Engine);
        var decodeQueue = decode.Engine.ActiveRequests - 1;
        var split = prefillBacklog is { } backlog
            ? AdaptiveSplit.Decide(promptLength, scheduler.PredictedMatch(decode.Engine, route), backlog, decodeQueue, scheduler.Routing)
            : SplitDecision.LocalFor("no-prefill-engine", promptLength);
        var prefill = split.Local ? null : scheduler.Acquire(EngineSelection.Prefill, exclude: decode.Engine, route: route);
        if (prefill is null && !split.Local)
        {
            split = SplitDecision.LocalFor("no-prefill-engine", split.UncachedTokens);
        }

        route.Split = split.ToString();
        RouterTelemetry.RecordSplit(System.Diagnostics.Activity.Current, route.Split);
        RouterLog.SplitChosen(logger, attempt.RequestId, route.Split, split.UncachedTokens, promptLength, prefillBacklog ?? -1, decodeQueue);
        return prefill is null
            ? await wholeRequest.StartOnAsync(decode, attempt, cancellationToken)
            : await HandOffAsync(attempt, route, decode, prefill, split.End, cancellationToken);
    }

    /// <summary>Steps 3 to 6 on a leased pair; the returned start owns the decode lease, the prefill lease ends after step 4.</summary>
    private async ValueTask<CompletionStart> HandOffAsync(
        CompletionAttempt attempt, RouteContext route, EngineLease decode, EngineLease prefill, int end, CancellationToken cancellationToken)
    {
        var request = attempt.Request;
        var id = attempt.RequestId;
        var resolvedEnd = KvWindow.Resolve(end, request.PromptTokens?.Count ?? 0);
        // P's lease and backlog count this window until P has computed it (remote_send returned): D's start_generate
        // is no work of P's, and counting it would make a slow D look like a busy P and move still more prefill onto D.
        var backlog = Math.Max(0, resolvedEnd - scheduler.PredictedMatch(prefill.Engine, route));
        prefill.Engine.AddPrefillBacklog(backlog);
        var started = false;
        var parked = false;
        var unsettled = false;
        try
        {
            // :: Step 3
            (KvAppendMetadata Metadata, PrepRecvResponse Answer)? prepared;
            using (var timeout = new ActivityTimeout(timeProvider, _options.PrepRecvTimeout, CancellationToken.None))
            {
                // Not the client's token: once D may have reserved KV, only its answer says whether it parked the id, and
                // a release start_generate for an id that is not parked is a fatal engine check (mlc-protocol.md §4.4). So a client who
                // leaves now does not cut the call; the answer is read (within PrepRecvTimeout) and the state released.
                // D may park the id just as the timeout fires, its answer lost: step 6 settles that case.
                var (body, failure) = await client.PostForJsonAsync(
                    decode.Engine, PrepRecvPath, DecodeRole, id, request.CreateEngineBody(id, ("end", end)), timeout, CancellationToken.None);
                unsettled = failure is { Error: EngineCallError.Timeout or EngineCallError.Transport, BeforeRequestSent: false };
                if (cancellationToken.IsCancellationRequested)
                {
                    parked = failure is null;
                    return CompletionStart.Failed(EngineFailure.Canceled);
                }

                if (failure is not null)
                {
                    return CompletionStart.Failed(failure);
                }

                // Even an answer the router cannot use means D parked the id.
                parked = true;
                prepared = ReadPrepRecvAnswer(body, resolvedEnd, out var invalid);
                if (prepared is null)
                {
                    return CompletionStart.Failed(new EngineFailure(EngineCallError.InvalidResponse, $"{decode.Engine.Name} answered prep_recv wrongly: {invalid}"));
                }

                scheduler.Correct(decode.Engine, route, prepared.Value.Answer.PrefixMatchedLength, resolvedEnd);
            }

            // :: Step 4
            var answer = prepared.Value.Answer;
            if (KvWindow.NeedsRemoteSend(answer.PrefixMatchedLength, resolvedEnd))
            {
                using var timeout = new ActivityTimeout(timeProvider, _options.RemoteSendTimeout, cancellationToken);
                var body = request.CreateEngineBody(id,
                    ("begin", answer.PrefixMatchedLength),
                    ("end", resolvedEnd),
                    ("kv_addr_info", answer.KvAppendMetadata),
                    ("recv_rank", decode.Engine.PeStart));
                var (_, failure) = await client.PostForJsonAsync(prefill.Engine, RemoteSendPath, PrefillRole, id, body, timeout, cancellationToken);
                if (failure is not null)
                {
                    return CompletionStart.Failed(failure);
                }

                // P computed [0 : end] and its prefix cache keeps it (mlc-protocol.md §4.3).
                scheduler.Remember(prefill.Engine, route, resolvedEnd);
            }

            EndPrefillWork();

            // :: Step 5
            var generationTimeout = new ActivityTimeout(timeProvider, _options.GenerationTimeout(request), cancellationToken);
            var response = await client.SendAsync(
                decode.Engine, StartGeneratePath, DecodeRole, id, request.CreateEngineBody(id, ("begin", resolvedEnd)), generationTimeout, cancellationToken);

            // start_generate reached the engine (or may have): a second one for this id would be a fatal engine check.
            parked = false;
            if (response.Failure is { } generateFailure)
            {
                generationTimeout.Dispose();
                return CompletionStart.Failed(generateFailure);
            }

            started = true;
            return CompletionStart.Started(response, generationTimeout, decode);
        }
        finally
        {
            EndPrefillWork();
            if (!started)
            {
                // :: Step 6
                try
                {
                    if (parked)
                    {
                        await ReleaseDecodeStateAsync(request, id, decode.Engine, resolvedEnd);
                    }
                    else if (unsettled)
                    {
                        await SettleDecodeStateAsync(request, id, decode.Engine, resolvedEnd);
                    }
                }
                finally
                {
                    // A release that throws (a bug, not an engine fault) must not keep D's load counted for ever.
                    decode.Dispose();
                }
            }
        }

        void EndPrefillWork()
        {
            prefill.Engine.AddPrefillBacklog(-backlog);
            backlog = 0;
            prefill.Dispose();
        }
    }

    private static (KvAppendMetadata, PrepRecvResponse)? ReadPrepRecvAnswer(JsonNode? body, int resolvedEnd, out string? error)
    {
        PrepRecvResponse? answer;
        try
        {
            answer = body?.Deserialize(RouterJsonContext.Default.PrepRecvResponse);
        }
        catch (JsonException ex)
        {
            error = ex.Message;
            return null;
        }

        if (answer?.KvAppendMetadata is null)
        {
            error = "kv_append_metadata is missing.";
            return null;
        }

        var (metadata, decodeError) = KvAppendMetadata.Decode(answer.KvAppendMetadata);
        error = decodeError ?? (metadata is null ? null : KvWindow.CheckPrepRecvAnswer(resolvedEnd, answer.PrefixMatchedLength, metadata));
        return error is null ? (metadata!, answer) : null;
    }

    /// <summary>
    /// After a prep_recv that ended without an answer, finds out whether D parked the id and frees it either way, with
    /// calls that are safe in both cases: a second prep_recv for the same id with an empty window (<c>end: 0</c>, no
    /// slots) is refused while the id is live on D (mlc-protocol.md §2.2), and otherwise parks at once; then the id is
    /// parked for certain, and a release start_generate consumes it. A start_generate alone is not safe: for an id that
    /// is not parked it is a fatal engine check (mlc-protocol.md §4.4).
    /// </summary>
    /// <remarks>
    /// The bound: if D cannot be reached for this either (it died, or stays silent past <c>ReleaseTimeout</c>), its state
    /// for the id stays unknown, is logged, and lasts until D restarts.
    /// </remarks>
    private async Task SettleDecodeStateAsync(CompletionRequest request, string id, EngineState decode, int resolvedEnd)
    {
        (JsonNode? Body, EngineFailure? Failure) probe;
        using (var timeout = new ActivityTimeout(timeProvider, _options.ReleaseTimeout, CancellationToken.None))
        {
            probe = await client.PostForJsonAsync(decode, PrepRecvPath, DecodeRole, id, request.CreateEngineBody(id, ("end", 0)), timeout, CancellationToken.None);
        }

        switch (probe.Failure)
        {
            case null:
                // The first prep_recv had been dropped with its connection; this one parked an empty window.
                await ReleaseDecodeStateAsync(request, id, decode, begin: 0);
                break;
            case { Error: EngineCallError.EngineRejected or EngineCallError.EngineFailed }:
                // The id is live: the first prep_recv parked it.
                await ReleaseDecodeStateAsync(request, id, decode, resolvedEnd);
                break;
            default:
                RouterLog.DecodeStateUnknown(logger, id, decode.Name, probe.Failure.Error);
                break;
        }
    }

    /// <summary>
    /// Frees the KV slots and parked state prep_recv left on D when the handoff will not complete. There is no
    /// abort call (mlc-protocol.md §4.7), so this starts the generation with a tiny budget and drops the connection as soon as
    /// the headers arrive; the engine's disconnect handling aborts the request id.
    /// </summary>
    /// <remarks>Runs with its own budget, not the client's token: the client may be the one who left.</remarks>
    private async Task ReleaseDecodeStateAsync(CompletionRequest request, string id, EngineState decode, int begin)
    {
        using var timeout = new ActivityTimeout(timeProvider, _options.ReleaseTimeout, CancellationToken.None);
        var body = request.CreateEngineBody(id, ("begin", begin), ("stream", true), ("max_tokens", 1));
        await using var response = await client.SendAsync(decode, StartGeneratePath, DecodeRole, id, body, timeout, CancellationToken.None);
        if (response.Failure is { } failure)
        {
            RouterLog.DecodeStateReleaseFailed(logger, id, decode.Name, failure.Error);
            return;
        }

        response.Complete(null, "Released");
        RouterLog.DecodeStateReleased(logger, id, decode.Name, "dropped after headers");
    }
}
