using MlcAspire.ReferenceEngine.KvCache;
using MlcAspire.ReferenceEngine.Telemetry;
using MlcAspire.ReferenceEngine.Transfer;

namespace MlcAspire.ReferenceEngine.Serving;

/// <summary>The engine side of the three MicroServing calls (mlc-protocol.md §4.2–4.5), run on the loop's thread.</summary>
/// <remarks>
/// Paths of one handoff:
/// 1. prep_recv on D (<see cref="SubmitPrepareReceive"/>): the window <c>[0 : end]</c> is checked and the request waits
///    for pages; each step first reserves what fits (<see cref="ReservePendingReceives"/>): the prefix cache's match,
///    then receivable slots for <c>[matched : end]</c>. The request parks and its slots are the answer.
/// 2. remote_send on P (<see cref="SubmitRemoteSend"/>): the window and <c>kv_addr_info</c> are checked against each
///    other, then the request prefills <c>[0 : end]</c> like any other, without sampling.
/// 3. Once P's KV reaches <c>end</c> (<see cref="StartPush"/>), rows <c>[begin : end]</c> are copied and pushed to D off the
///    loop; the call answers when D acknowledged every row.
/// 4. start_generate on D (<see cref="StartGeneration"/>): the parked state is taken over with the new request's event
///    stream, its slots become ordinary KV, and it goes first in the waiting queue to prefill the tail and decode.
/// A rule broken anywhere rejects the call with a message; MLC stops its step loop instead (§4.1).
/// </remarks>
internal sealed class DisaggregationPaths(
    PagedKvCache cache, RadixPrefixCache? prefixCache, KvSender sender, RequestTable requests, TimeProvider timeProvider, ILogger logger)
{
    public void SubmitPrepareReceive(EngineRequest request)
    {
        // :: Step 1
        var length = request.Prompt.Length;
        var end = Resolve(request.WindowEnd, length);
        if (end < 0 || end >= length)
        {
            requests.Reject(request, $"prep_recv: end must satisfy 0 <= end < {length} (the prompt length), got {request.WindowEnd}.");
            return;
        }

        if (SequencePages.PagesFor(end) > cache.PageCount)
        {
            requests.Reject(request, $"prep_recv: the window [0:{end}] needs {SequencePages.PagesFor(end)} KV pages but the cache has {cache.PageCount}.");
            return;
        }

        var receiver = requests.Create(request, request.Prompt, 1);
        receiver.WindowEnd = end;
        requests.Live.Add(request.Id, receiver);
        requests.PendingReceives.Add(receiver);
    }

    public void ReservePendingReceives()
    {
        while (requests.PendingReceives.Count > 0)
        {
            var state = requests.PendingReceives[0];
            var sequence = state.Sequences[0];
            var end = state.WindowEnd;
            var matched = prefixCache?.MatchInto(state.Request.Prompt, end, sequence.Pages) ?? 0;
            var needed = SequencePages.PagesFor(end) - sequence.Pages.Pages.Count;
            prefixCache?.EvictUntilFree(needed);
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
            state.Phase = RequestPhase.Parked;
            requests.PendingReceives.RemoveAt(0);
            state.Trace.ReceiveReserved(matched, end);
            state.Events.TryWrite(new ReceivePreparedEvent(KvAppendMetadata.Encode(slots), matched));
            state.Events.TryComplete();
            EngineLog.ReceiveReserved(logger, state.Request.Id, matched, end);
        }
    }

    public void SubmitRemoteSend(EngineRequest request)
    {
        // :: Step 2
        var length = request.Prompt.Length;
        var (begin, end) = (Resolve(request.WindowBegin, length), Resolve(request.WindowEnd, length));
        if (begin < 0 || begin >= end || end >= length)
        {
            requests.Reject(request, $"remote_send: the window must satisfy 0 <= begin < end < {length} (the prompt length), got begin={request.WindowBegin}, end={request.WindowEnd}.");
            return;
        }

        // Decoded only once the window is known good, and against it: a hostile kv_addr_info is this request's
        // error, never an exception in the step loop (whose catch-all fails every request in flight).
        var slots = KvAppendMetadata.TryDecode(request.KvAddrInfo ?? "", end - begin, out var error);
        if (slots is null)
        {
            requests.Reject(request, $"remote_send: {error} (window [{begin}:{end}])");
            return;
        }

        var sending = requests.Create(request, request.Prompt[..end], 1);
        (sending.WindowBegin, sending.WindowEnd, sending.SendSlots) = (begin, end, slots);
        requests.Enqueue(sending);
    }

    /// <summary>Copies the window's rows and pushes them off the loop; the request completes when the peer has them.</summary>
    public void StartPush(RequestState state)
    {
        // :: Step 3
        var sequence = state.Sequences[0];
        var count = state.WindowEnd - state.WindowBegin;
        var rows = new float[count * cache.RowFloats];
        for (var i = 0; i < count; i++)
        {
            cache.Row(sequence.Pages.Pages, state.WindowBegin + i).CopyTo(rows.AsSpan(i * cache.RowFloats));
        }

        requests.FinishSequence(sequence, FinishReasons.Stop);
        requests.Running.Remove(state);
        requests.Live.Remove(state.Request.Id);
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

    public void StartGeneration(EngineRequest request)
    {
        // :: Step 4
        if (!requests.Live.TryGetValue(request.Id, out var parked) || parked.Phase != RequestPhase.Parked)
        {
            requests.Reject(request, $"start_generate: no request is parked under id \"{request.Id}\"; call prep_recv first.");
            return;
        }

        var length = parked.Request.Prompt.Length;
        var begin = Resolve(request.WindowBegin, length);
        if (begin != parked.WindowEnd || begin < 0 || begin >= length)
        {
            requests.Reject(request, $"start_generate: begin must equal the prep_recv end {parked.WindowEnd} and satisfy 0 <= begin < {length}, got {request.WindowBegin}.");
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
        parked.Phase = RequestPhase.Waiting;
        requests.Waiting.AddFirst(parked);
    }

    /// <summary>A window index as MLC reads it: negative counts from the end, Python-style.</summary>
    private static int Resolve(int index, int length) => index < 0 ? length + index : index;
}
