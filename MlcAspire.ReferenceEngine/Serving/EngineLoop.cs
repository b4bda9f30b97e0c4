using System.Runtime.InteropServices;
using Microsoft.ML.Tokenizers;
using MlcAspire.ReferenceEngine.Cli;
using MlcAspire.ReferenceEngine.KvCache;
using MlcAspire.ReferenceEngine.Model;
using MlcAspire.ReferenceEngine.Telemetry;
using MlcAspire.ReferenceEngine.Transfer;

namespace MlcAspire.ReferenceEngine.Serving;

/// <summary>
/// The one loop that owns the KV cache and the model. Between steps it drains the mailbox (submissions,
/// aborts); each step reserves pending <c>prep_recv</c> windows, admits waiting requests, then advances every
/// running request: a prefill chunk (sharing <see cref="EngineLimits.PrefillChunkSize"/> tokens per step) or one
/// decode token. When pages run out it preempts the newest running request.
/// </summary>
internal sealed class EngineLoop(
    EngineOptions options,
    EngineMailbox mailbox,
    EngineLimits limits,
    PagedKvCache cache,
    IModelRunner model,
    Tokenizer tokenizer,
    KvSender sender,
    TimeProvider timeProvider,
    ILogger<EngineLoop> logger) : BackgroundService
{
    private readonly Dictionary<string, RequestState> _live = new(StringComparer.Ordinal);
    private readonly LinkedList<RequestState> _waiting = new();
    private readonly List<RequestState> _running = [];
    private readonly List<RequestState> _pendingReceives = [];
    private readonly RadixPrefixCache? _prefixCache = limits.PrefixCacheEnabled ? new RadixPrefixCache(cache) : null;
    private readonly float[] _logits = new float[limits.VocabSize];
    private long _prefillTokensTotal;
    private long _decodeTokensTotal;
    private long _preemptionsTotal;
    private long _requestsTotal;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Leave the host's start-up path before the first (possibly long) step.
        await Task.Yield();
        EngineLog.EngineStarted(logger, options.Model, options.Device, options.Mode, options.PrefixCacheMode, limits.KvPages, limits.MaxNumSequence);
        PublishStats();
        while (!stoppingToken.IsCancellationRequested)
        {
            var worked = false;
            try
            {
                while (mailbox.Reader.TryRead(out var command))
                {
                    Handle(command);
                }

                worked = Step();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A bug in a step must not leave clients hanging or stop the engine: fail what was in flight.
                EngineLog.StepFailed(logger, ex);
                foreach (var state in _live.Values.ToList())
                {
                    state.Events.TryWrite(new RejectedEvent("The engine failed while serving this request."));
                    Drop(state);
                }
            }

            PublishStats();
            if (!worked)
            {
                await mailbox.Reader.WaitToReadAsync(stoppingToken);
            }
        }
    }

    private void Handle(EngineCommand command)
    {
        switch (command)
        {
            case SubmitCommand { Request: var request }:
                Submit(request);
                break;
            case AbortCommand { RequestId: var id, Events: var events } when _live.TryGetValue(id, out var state) && state.Events == events:
                EngineLog.RequestAborted(logger, id);
                Drop(state);
                break;
        }
    }

    private void Submit(EngineRequest request)
    {
        _requestsTotal++;
        if (request.Aborted.IsCancellationRequested)
        {
            request.Events.TryComplete();
            return;
        }

        if (request.Kind == RequestKind.StartGeneration)
        {
            StartGeneration(request);
            return;
        }

        if (_live.ContainsKey(request.Id))
        {
            Reject(request, $"The request id \"{request.Id}\" is already in use by a request in flight.");
            return;
        }

        var length = request.Prompt.Length;
        switch (request.Kind)
        {
            case RequestKind.Generate:
                Enqueue(NewState(request, request.Prompt, request.Settings.N));
                break;

            case RequestKind.PrepareReceive:
                var end = Resolve(request.WindowEnd, length);
                if (end < 0 || end >= length)
                {
                    Reject(request, $"prep_recv: end must satisfy 0 <= end < {length} (the prompt length), got {request.WindowEnd}.");
                    return;
                }

                if (SequencePages.PagesFor(end) > cache.PageCount)
                {
                    Reject(request, $"prep_recv: the window [0:{end}] needs {SequencePages.PagesFor(end)} KV pages but the cache has {cache.PageCount}.");
                    return;
                }

                var receiver = NewState(request, request.Prompt, 1);
                receiver.WindowEnd = end;
                _live.Add(request.Id, receiver);
                _pendingReceives.Add(receiver);
                break;

            case RequestKind.RemoteSend:
                var (begin, sendEnd) = (Resolve(request.WindowBegin, length), Resolve(request.WindowEnd, length));
                if (begin < 0 || begin >= sendEnd || sendEnd >= length)
                {
                    Reject(request, $"remote_send: the window must satisfy 0 <= begin < end < {length} (the prompt length), got begin={request.WindowBegin}, end={request.WindowEnd}.");
                    return;
                }

                // Decoded only once the window is known good, and against it: a hostile kv_addr_info is this request's
                // error, never an exception in the step loop (whose catch-all fails every request in flight).
                var slots = KvAppendMetadata.TryDecode(request.KvAddrInfo ?? "", sendEnd - begin, out var error);
                if (slots is null)
                {
                    Reject(request, $"remote_send: {error} (window [{begin}:{sendEnd}])");
                    return;
                }

                var sending = NewState(request, request.Prompt[..sendEnd], 1);
                (sending.WindowBegin, sending.WindowEnd, sending.SendSlots) = (begin, sendEnd, slots);
                Enqueue(sending);
                break;
        }
    }

    private void StartGeneration(EngineRequest request)
    {
        if (!_live.TryGetValue(request.Id, out var parked) || parked.Phase != Phase.Parked)
        {
            Reject(request, $"start_generate: no request is parked under id \"{request.Id}\"; call prep_recv first.");
            return;
        }

        var length = parked.Request.Prompt.Length;
        var begin = Resolve(request.WindowBegin, length);
        if (begin != parked.WindowEnd || begin < 0 || begin >= length)
        {
            Reject(request, $"start_generate: begin must equal the prep_recv end {parked.WindowEnd} and satisfy 0 <= begin < {length}, got {request.WindowBegin}.");
            return;
        }

        // Sampling settings stay those of the prep_recv request, as in MLC; the new request brings the stream.
        foreach (var page in parked.Sequences[0].Pages.Pages)
        {
            cache.ClearReceivable(page);
        }

        (parked.Events, parked.Aborted, parked.FromDisaggregation) = (request.Events, request.Aborted, true);
        parked.Trace = new RequestTrace(request.TraceParent, timeProvider, request.Id, request.Kind, length);
        parked.ArrivedAt = timeProvider.GetTimestamp();
        parked.Phase = Phase.Waiting;
        _waiting.AddFirst(parked);
    }

    private bool Step()
    {
        ReservePendingReceives();
        Admit();
        if (_running.Count == 0)
        {
            return false;
        }

        var budget = limits.PrefillChunkSize;
        var (prefillTokens, decodeTokens) = (0, 0);
        var stepped = _running.ToArray();
        foreach (var state in stepped)
        {
            foreach (var sequence in state.Sequences)
            {
                if (state.Phase != Phase.Running || sequence.FinishReason is not null)
                {
                    continue;
                }

                var pending = sequence.Tokens.Count - sequence.KvLength;
                var count = pending <= 1 ? pending : Math.Min(pending, budget);
                if (count <= 0 || !TryEnsurePages(state, sequence, sequence.KvLength + count))
                {
                    continue;
                }

                var samples = state.Request.Kind != RequestKind.RemoteSend && sequence.KvLength + count == sequence.Tokens.Count;
                var tokens = CollectionsMarshal.AsSpan(sequence.Tokens).Slice(sequence.KvLength, count);
                model.Forward(sequence.Pages.Pages, tokens, sequence.KvLength, samples ? _logits : default);
                sequence.KvLength += count;
                if (sequence.Generated == 0)
                {
                    (prefillTokens, state.PrefillTokens, budget) = (prefillTokens + count, state.PrefillTokens + count, budget - count);
                }
                else
                {
                    (decodeTokens, state.DecodeTokens) = (decodeTokens + count, state.DecodeTokens + count);
                }

                if (samples)
                {
                    SampleNext(state, sequence);
                }
            }
        }

        // The step's time passes before anything it computed leaves the engine, as a GPU's results come after its kernels.
        model.EndStep(prefillTokens, decodeTokens);
        foreach (var state in stepped)
        {
            if (state.Phase != Phase.Running)
            {
                continue;
            }

            if (state.Request.Kind == RequestKind.RemoteSend)
            {
                if (state.Sequences[0].KvLength == state.WindowEnd)
                {
                    StartPush(state);
                }
            }
            else if (state.Sequences.All(sequence => sequence.FinishReason is not null))
            {
                Complete(state, Usage(state));
            }
            else
            {
                FlushDeltas(state);
            }
        }

        (_prefillTokensTotal, _decodeTokensTotal) = (_prefillTokensTotal + prefillTokens, _decodeTokensTotal + decodeTokens);
        return true;
    }

    private void ReservePendingReceives()
    {
        while (_pendingReceives.Count > 0)
        {
            var state = _pendingReceives[0];
            var sequence = state.Sequences[0];
            var end = state.WindowEnd;
            var matched = _prefixCache?.MatchInto(state.Request.Prompt, end, sequence.Pages) ?? 0;
            var needed = SequencePages.PagesFor(end) - sequence.Pages.Pages.Count;
            _prefixCache?.EvictUntilFree(needed);
            if (cache.FreePages < needed)
            {
                // MLC keeps the request queued (and the HTTP call open) until pages free up.
                sequence.Pages.ReleaseAll();
                return;
            }

            sequence.Pages.TryEnsureCapacity(end);
            var slots = new List<long>(end - matched);
            for (var position = matched; position < end; position++)
            {
                // Only the window's own slots: not the prefix copied into its first page, nor the positions past end.
                var slot = PagedKvCache.Slot(sequence.Pages.Pages, position);
                slots.Add(slot);
                cache.Row(slot).Clear();
                cache.SetReceivable(slot);
            }

            sequence.KvLength = end;
            state.Phase = Phase.Parked;
            _pendingReceives.RemoveAt(0);
            state.Trace.ReceiveReserved(matched, end);
            state.Events.TryWrite(new ReceivePreparedEvent(KvAppendMetadata.Encode(slots), matched));
            state.Events.TryComplete();
            EngineLog.ReceiveReserved(logger, state.Request.Id, matched, end);
        }
    }

    private void Admit()
    {
        _prefixCache?.RecountEvictable();
        while (_waiting.First is { Value: var state } && _running.Count < limits.MaxNumSequence)
        {
            var needed = state.Sequences.Sum(s => Math.Max(0, SequencePages.PagesFor(Math.Min(s.Tokens.Count + 1, limits.MaxSequenceLength)) - s.Pages.Pages.Count));
            if (needed > cache.FreePages + (_prefixCache?.EvictablePages ?? 0))
            {
                if (needed <= cache.PageCount)
                {
                    return;
                }

                _waiting.RemoveFirst();
                FinishAll(state, FinishReasons.Length);
                continue;
            }

            _waiting.RemoveFirst();
            foreach (var sequence in state.Sequences.Where(s => s.Pages.Pages.Count == 0 && s.KvLength == 0))
            {
                var matchable = state.Request.Kind == RequestKind.RemoteSend ? sequence.Tokens.Count : sequence.Tokens.Count - 1;
                sequence.KvLength = _prefixCache?.MatchInto(CollectionsMarshal.AsSpan(sequence.Tokens), matchable, sequence.Pages) ?? 0;
            }

            state.Phase = Phase.Running;
            state.Trace.Admitted(state.Sequences.Min(s => s.KvLength));
            _running.Add(state);
        }
    }

    private bool TryEnsurePages(RequestState state, SequenceState sequence, int positions)
    {
        var needed = SequencePages.PagesFor(positions) - sequence.Pages.Pages.Count;
        if (needed <= 0)
        {
            return true;
        }

        _prefixCache?.EvictUntilFree(needed);
        while (cache.FreePages < needed)
        {
            // As MLC, preempt from the back of the running queue: the newest request, which may be this one.
            var preemptible = _running.Where(r => r.Phase == Phase.Running && r.Request.Kind != RequestKind.RemoteSend).ToList();
            if (preemptible is [] || preemptible is [var only] && only == state)
            {
                // Nothing else can give pages back: this request has reached the capacity of the cache.
                FinishAll(state, FinishReasons.Length);
                return false;
            }

            var victim = preemptible[^1];
            Preempt(victim);
            if (victim == state)
            {
                return false;
            }
        }

        return sequence.Pages.TryEnsureCapacity(positions);
    }

    /// <summary>
    /// Frees a running request's pages. An ordinary request goes back to the front of the queue and recomputes
    /// its KV later (bitwise the same, so its output does not change); in disaggregation MLC aborts it instead,
    /// every choice ending with <c>finish_reason: "preempt"</c> (mlc-protocol.md §2.3).
    /// </summary>
    private void Preempt(RequestState victim)
    {
        _preemptionsTotal++;
        EngineLog.Preempted(logger, victim.Request.Id, victim.FromDisaggregation);
        if (victim.FromDisaggregation)
        {
            FlushDeltas(victim);
            victim.Deltas.AddRange(victim.Sequences.Where(s => s.FinishReason is null).Select(s => new ChoiceDelta(s.Index, "", FinishReasons.Preempt, [])));
            victim.Trace.End("Preempted", null);
            Complete(victim, new UsageStats(0, 0, 0, 0, 0, 0));
            return;
        }

        foreach (var sequence in victim.Sequences)
        {
            sequence.Pages.ReleaseAll();
            sequence.KvLength = 0;
        }

        FlushDeltas(victim);
        victim.Phase = Phase.Waiting;
        _running.Remove(victim);
        _waiting.AddFirst(victim);
    }

    private void SampleNext(RequestState state, SequenceState sequence)
    {
        var settings = state.Settings;
        var token = Sampler.Sample(_logits, settings.Temperature, settings.TopP, sequence.Random);
        IReadOnlyList<TokenLogprob> logprobs = settings.TopLogprobs is { } top ? [Logprob(token, top)] : [];
        sequence.Tokens.Add(token);
        sequence.Generated++;
        state.FirstTokenAt ??= timeProvider.GetTimestamp();
        state.Trace.FirstToken();

        string? finish = null;
        string text;
        if (!settings.IgnoreEos && limits.EosTokenIds.Contains(token))
        {
            (text, finish) = (sequence.Text.Flush(), FinishReasons.Stop);
        }
        else
        {
            (text, var stopped) = sequence.Text.Append(token);
            if (stopped)
            {
                finish = FinishReasons.Stop;
            }
            else if (sequence.Generated == settings.MaxTokens || sequence.Tokens.Count >= limits.MaxSequenceLength)
            {
                (text, finish) = (text + sequence.Text.Flush(), FinishReasons.Length);
            }
        }

        if (finish is not null)
        {
            FinishSequence(sequence, finish);
        }

        if (text.Length > 0 || finish is not null || logprobs.Count > 0)
        {
            state.Deltas.Add(new ChoiceDelta(sequence.Index, text, finish, logprobs));
        }
    }

    private TokenLogprob Logprob(int token, int top)
    {
        var logprobs = Sampler.LogSoftmax(_logits);
        var best = Enumerable.Range(0, logprobs.Length).OrderByDescending(i => logprobs[i]).ThenBy(i => i).Take(top)
            .Select(i => KeyValuePair.Create(tokenizer.Decode([i]) ?? "", logprobs[i]))
            .ToList();
        return new TokenLogprob(tokenizer.Decode([token]) ?? "", logprobs[token], best);
    }

    /// <summary>Copies the window's rows and pushes them off the loop; the request completes when the peer has them.</summary>
    private void StartPush(RequestState state)
    {
        var sequence = state.Sequences[0];
        var count = state.WindowEnd - state.WindowBegin;
        var rows = new float[count * cache.RowFloats];
        for (var i = 0; i < count; i++)
        {
            cache.Row(sequence.Pages.Pages, state.WindowBegin + i).CopyTo(rows.AsSpan(i * cache.RowFloats));
        }

        FinishSequence(sequence, FinishReasons.Stop);
        _running.Remove(state);
        _live.Remove(state.Request.Id);
        state.Trace.PushStarted(count);
        _ = PushAsync(state.Request, state.Trace, state.SendSlots, rows);
    }

    private async Task PushAsync(EngineRequest request, RequestTrace trace, long[] slots, float[] rows)
    {
        try
        {
            var error = await sender.SendAsync(request.RecvRank, slots, rows, cache.RowFloats, request.Aborted);
            trace.PushFinished(request.RecvRank, error);
            if (error is not null)
            {
                EngineLog.PushFailed(logger, request.Id, error);
            }

            request.Events.TryWrite(error is null ? new SendCompletedEvent() : new RejectedEvent(error));
        }
        catch (OperationCanceledException)
        {
            EngineLog.RequestAborted(logger, request.Id);
        }
        finally
        {
            request.Events.TryComplete();
        }
    }

    private void FinishAll(RequestState state, string reason)
    {
        foreach (var sequence in state.Sequences.Where(s => s.FinishReason is null))
        {
            var rest = sequence.Text.Flush();
            FinishSequence(sequence, reason);
            state.Deltas.Add(new ChoiceDelta(sequence.Index, rest, reason, []));
        }

        Complete(state, Usage(state));
    }

    private void FinishSequence(SequenceState sequence, string reason)
    {
        sequence.FinishReason = reason;
        _prefixCache?.Insert(CollectionsMarshal.AsSpan(sequence.Tokens), sequence.KvLength, sequence.Pages.Pages);
        sequence.Pages.ReleaseAll();
    }

    private void Complete(RequestState state, UsageStats usage)
    {
        FlushDeltas(state);
        state.Trace.End("Success", usage);
        state.Events.TryWrite(new FinishedEvent(usage));
        Drop(state);
    }

    /// <summary>Removes a request from every queue, frees its pages and ends its event stream.</summary>
    private void Drop(RequestState state)
    {
        foreach (var sequence in state.Sequences)
        {
            sequence.Pages.ReleaseAll();
        }

        state.Phase = Phase.Done;
        state.Trace.End("Aborted", null);
        _live.Remove(state.Request.Id);
        _running.Remove(state);
        _waiting.Remove(state);
        _pendingReceives.Remove(state);
        state.Events.TryComplete();
    }

    private static void FlushDeltas(RequestState state)
    {
        if (state.Deltas.Count > 0)
        {
            state.Events.TryWrite(new TokensEvent([.. state.Deltas]));
            state.Deltas.Clear();
        }
    }

    private UsageStats Usage(RequestState state)
    {
        var now = timeProvider.GetTimestamp();
        return new UsageStats(
            state.Request.Prompt.Length,
            state.Sequences.Sum(s => s.Generated),
            state.PrefillTokens,
            state.DecodeTokens,
            timeProvider.GetElapsedTime(state.ArrivedAt, now).TotalSeconds,
            state.FirstTokenAt is { } first ? timeProvider.GetElapsedTime(state.ArrivedAt, first).TotalSeconds : 0);
    }

    private void Reject(EngineRequest request, string message)
    {
        EngineLog.RequestRejected(logger, request.Id, request.Kind, message);
        request.Events.TryWrite(new RejectedEvent(message));
        request.Events.TryComplete();
    }

    private void Enqueue(RequestState state)
    {
        _live.Add(state.Request.Id, state);
        _waiting.AddLast(state);
    }

    private RequestState NewState(EngineRequest request, int[] tokens, int n)
    {
        var state = new RequestState(request, timeProvider.GetTimestamp())
        {
            Trace = new RequestTrace(request.TraceParent, timeProvider, request.Id, request.Kind, request.Prompt.Length),
        };
        for (var index = 0; index < n; index++)
        {
            state.Sequences.Add(new SequenceState(
                index,
                [.. tokens],
                new SequencePages(cache),
                new SplitMix64(request.Settings.Seed + (ulong)index * 0x9E3779B97F4A7C15UL),
                new TextStream(tokenizer, request.Settings.StopStrings)));
        }

        return state;
    }

    private static int Resolve(int index, int length) => index < 0 ? length + index : index;

    private void PublishStats()
    {
        _prefixCache?.RecountEvictable();
        var cached = _prefixCache?.EvictablePages ?? 0;
        mailbox.Publish(new EngineStats(
            cache.PageCount,
            cache.FreePages,
            cache.PageCount - cache.FreePages - cached,
            cached,
            _running.Count,
            _waiting.Count,
            _live.Values.Count(state => state.Phase == Phase.Parked),
            _pendingReceives.Count,
            _prefillTokensTotal,
            _decodeTokensTotal,
            _preemptionsTotal,
            _requestsTotal));
    }

    private enum Phase
    {
        Waiting,
        Running,
        Parked,
        Done,
    }

    private sealed class RequestState(EngineRequest request, long arrivedAt)
    {
        public EngineRequest Request { get; } = request;

        public GenerationSettings Settings { get; } = request.Settings;

        public System.Threading.Channels.ChannelWriter<EngineEvent> Events { get; set; } = request.Events;

        public CancellationToken Aborted { get; set; } = request.Aborted;

        public List<SequenceState> Sequences { get; } = [];

        public List<ChoiceDelta> Deltas { get; } = [];

        public Phase Phase { get; set; } = Phase.Waiting;

        public bool FromDisaggregation { get; set; }

        public long ArrivedAt { get; set; } = arrivedAt;

        public long? FirstTokenAt { get; set; }

        public int PrefillTokens { get; set; }

        public int DecodeTokens { get; set; }

        public int WindowBegin { get; set; }

        public int WindowEnd { get; set; }

        public long[] SendSlots { get; set; } = [];

        public required RequestTrace Trace { get; set; }
    }

    private sealed class SequenceState(int index, List<int> tokens, SequencePages pages, SplitMix64 random, TextStream text)
    {
        public int Index { get; } = index;

        public List<int> Tokens { get; } = tokens;

        public SequencePages Pages { get; } = pages;

        public SplitMix64 Random { get; } = random;

        public TextStream Text { get; } = text;

        public int KvLength { get; set; }

        public int Generated { get; set; }

        public string? FinishReason { get; set; }
    }
}
