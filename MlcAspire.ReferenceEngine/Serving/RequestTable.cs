using System.Runtime.InteropServices;
using Microsoft.ML.Tokenizers;
using MlcAspire.ReferenceEngine.KvCache;
using MlcAspire.ReferenceEngine.Model;
using MlcAspire.ReferenceEngine.Telemetry;

namespace MlcAspire.ReferenceEngine.Serving;

/// <summary>
/// The requests the engine holds, by id and by queue, and each request's life in them: created, queued, finished
/// (its KV recycled into the prefix cache), completed with its usage, or dropped. Touched only by the loop's thread.
/// </summary>
internal sealed class RequestTable(PagedKvCache cache, RadixPrefixCache? prefixCache, Tokenizer tokenizer, TimeProvider timeProvider, ILogger logger)
{
    /// <summary>Every request in flight by id, parked ones included; ids are unique among them.</summary>
    public Dictionary<string, RequestState> Live { get; } = new(StringComparer.Ordinal);

    public LinkedList<RequestState> Waiting { get; } = new();

    public List<RequestState> Running { get; } = [];

    /// <summary>prep_recv requests waiting for pages to reserve, in arrival order.</summary>
    public List<RequestState> PendingReceives { get; } = [];

    public RequestState Create(EngineRequest request, int[] tokens, int n)
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

    public void Enqueue(RequestState state)
    {
        Live.Add(state.Request.Id, state);
        Waiting.AddLast(state);
    }

    public void Reject(EngineRequest request, string message)
    {
        EngineLog.RequestRejected(logger, request.Id, request.Kind, message);
        request.Events.TryWrite(new RejectedEvent(message));
        request.Events.TryComplete();
    }

    /// <summary>Ends a choice; its KV becomes prefix cache (when enabled) and its pages are released.</summary>
    public void FinishSequence(SequenceState sequence, string reason)
    {
        sequence.FinishReason = reason;
        prefixCache?.Insert(CollectionsMarshal.AsSpan(sequence.Tokens), sequence.KvLength, sequence.Pages.Pages);
        sequence.Pages.ReleaseAll();
    }

    /// <summary>Ends every running choice of the request with <paramref name="reason"/> and completes it.</summary>
    public void FinishAll(RequestState state, string reason)
    {
        foreach (var sequence in state.Sequences.Where(s => s.FinishReason is null))
        {
            var rest = sequence.Text.Flush();
            FinishSequence(sequence, reason);
            state.Deltas.Add(new ChoiceDelta(sequence.Index, rest, reason, []));
        }

        Complete(state, Usage(state));
    }

    public void Complete(RequestState state, UsageStats usage)
    {
        FlushDeltas(state);
        state.Trace.End("Success", usage);
        state.Events.TryWrite(new FinishedEvent(usage));
        Drop(state);
    }

    /// <summary>Removes a request from every queue, frees its pages and ends its event stream.</summary>
    public void Drop(RequestState state)
    {
        foreach (var sequence in state.Sequences)
        {
            sequence.Pages.ReleaseAll();
        }

        state.Phase = RequestPhase.Done;
        state.Trace.End("Aborted", null);
        Live.Remove(state.Request.Id);
        Running.Remove(state);
        Waiting.Remove(state);
        PendingReceives.Remove(state);
        state.Events.TryComplete();
    }

    /// <summary>Fails every request in flight with <paramref name="message"/>: a step threw, and no client may hang on it.</summary>
    public void FailAll(string message)
    {
        foreach (var state in Live.Values.ToList())
        {
            state.Events.TryWrite(new RejectedEvent(message));
            Drop(state);
        }
    }

    public static void FlushDeltas(RequestState state)
    {
        if (state.Deltas.Count > 0)
        {
            state.Events.TryWrite(new TokensEvent([.. state.Deltas]));
            state.Deltas.Clear();
        }
    }

    public UsageStats Usage(RequestState state)
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
}
