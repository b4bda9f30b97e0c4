using System.Runtime.InteropServices;
using Microsoft.ML.Tokenizers;
using MlcAspire.ReferenceEngine.KvCache;
using MlcAspire.ReferenceEngine.Model;
using MlcAspire.ReferenceEngine.Telemetry;

namespace MlcAspire.ReferenceEngine.Serving;

/// <summary>
/// One step of the engine (continuous batching): admission, then a forward pass for every running choice (a prefill
/// chunk, the chunks sharing <see cref="EngineLimits.PrefillChunkSize"/> tokens per step, or one decode token),
/// sampling, and, when pages run out, preemption of the newest running request. Steps 2–5 of <see cref="EngineLoop"/>.
/// </summary>
internal sealed class EngineStep(
    EngineLimits limits,
    PagedKvCache cache,
    RadixPrefixCache? prefixCache,
    IModelRunner model,
    Tokenizer tokenizer,
    RequestTable requests,
    DisaggregationPaths disaggregation,
    TimeProvider timeProvider,
    ILogger logger)
{
    private readonly float[] _logits = new float[limits.VocabSize];

    public long PrefillTokensTotal { get; private set; }

    public long DecodeTokensTotal { get; private set; }

    public long PreemptionsTotal { get; private set; }

    /// <summary>Runs one step; false when nothing was running, so the loop may wait for the mailbox.</summary>
    public bool Run()
    {
        // :: Step 2
        disaggregation.ReservePendingReceives();

        // :: Step 3
        Admit();
        if (requests.Running.Count == 0)
        {
            return false;
        }

        // :: Step 4
        var budget = limits.PrefillChunkSize;
        var (prefillTokens, decodeTokens) = (0, 0);
        var stepped = requests.Running.ToArray();
        foreach (var state in stepped)
        {
            foreach (var sequence in state.Sequences)
            {
                if (state.Phase != RequestPhase.Running || sequence.FinishReason is not null)
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

                if (sequence.Generated == 0 && count == pending)
                {
                    ShareComputedPrompt(sequence);
                }

                if (samples)
                {
                    SampleNext(state, sequence);
                }
            }
        }

        // :: Step 5
        // The step's time passes before anything it computed leaves the engine, as a GPU's results come after its kernels.
        model.EndStep(prefillTokens, decodeTokens);
        foreach (var state in stepped)
        {
            if (state.Phase != RequestPhase.Running)
            {
                continue;
            }

            if (state.Request.Kind == RequestKind.RemoteSend)
            {
                if (state.Sequences[0].KvLength == state.WindowEnd)
                {
                    disaggregation.StartPush(state);
                }
            }
            else if (state.Sequences.All(sequence => sequence.FinishReason is not null))
            {
                requests.Complete(state, requests.Usage(state));
            }
            else
            {
                RequestTable.FlushDeltas(state);
            }
        }

        (PrefillTokensTotal, DecodeTokensTotal) = (PrefillTokensTotal + prefillTokens, DecodeTokensTotal + decodeTokens);
        return true;
    }

    /// <summary>
    /// Puts the full pages of a prompt just computed into the prefix cache, while its sequence still runs: as in MLC,
    /// whose radix tree holds running sequences, a request arriving now with the same prefix (four sessions opening
    /// with one system prompt) shares those pages instead of computing them again. A full page's rows no longer change;
    /// the last, partial page is still being written, so it waits for the sequence to finish.
    /// </summary>
    private void ShareComputedPrompt(SequenceState sequence)
    {
        var fullPages = sequence.KvLength / PagedKvCache.PageSize * PagedKvCache.PageSize;
        if (prefixCache is not null && fullPages > 0)
        {
            prefixCache.Insert(CollectionsMarshal.AsSpan(sequence.Tokens), fullPages, sequence.Pages.Pages);
        }
    }

    private void Admit()
    {
        prefixCache?.RecountEvictable();
        while (requests.Waiting.First is { Value: var state } && requests.Running.Count < limits.MaxNumSequence)
        {
            var needed = state.Sequences.Sum(s => Math.Max(0, SequencePages.PagesFor(Math.Min(s.Tokens.Count + 1, limits.MaxSequenceLength)) - s.Pages.Pages.Count));
            if (needed > cache.FreePages + (prefixCache?.EvictablePages ?? 0))
            {
                if (needed <= cache.PageCount)
                {
                    return;
                }

                requests.Waiting.RemoveFirst();
                requests.FinishAll(state, FinishReasons.Length);
                continue;
            }

            requests.Waiting.RemoveFirst();
            foreach (var sequence in state.Sequences.Where(s => s.Pages.Pages.Count == 0 && s.KvLength == 0))
            {
                var matchable = state.Request.Kind == RequestKind.RemoteSend ? sequence.Tokens.Count : sequence.Tokens.Count - 1;
                sequence.KvLength = prefixCache?.MatchInto(CollectionsMarshal.AsSpan(sequence.Tokens), matchable, sequence.Pages) ?? 0;
            }

            state.Phase = RequestPhase.Running;
            state.Trace.Admitted(state.Sequences.Min(s => s.KvLength));
            requests.Running.Add(state);
        }
    }

    private bool TryEnsurePages(RequestState state, SequenceState sequence, int positions)
    {
        var needed = SequencePages.PagesFor(positions) - sequence.Pages.Pages.Count;
        if (needed <= 0)
        {
            return true;
        }

        prefixCache?.EvictUntilFree(needed);
        while (cache.FreePages < needed)
        {
            // As MLC, preempt from the back of the running queue: the newest request, which may be this one.
            var preemptible = requests.Running.Where(r => r.Phase == RequestPhase.Running && r.Request.Kind != RequestKind.RemoteSend).ToList();
            if (preemptible is [] || preemptible is [var only] && only == state)
            {
                // Nothing else can give pages back: this request has reached the capacity of the cache.
                requests.FinishAll(state, FinishReasons.Length);
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
        PreemptionsTotal++;
        EngineLog.Preempted(logger, victim.Request.Id, victim.FromDisaggregation);
        if (victim.FromDisaggregation)
        {
            RequestTable.FlushDeltas(victim);
            victim.Deltas.AddRange(victim.Sequences.Where(s => s.FinishReason is null).Select(s => new ChoiceDelta(s.Index, "", FinishReasons.Preempt, [])));
            victim.Trace.End("Preempted", null);
            requests.Complete(victim, new UsageStats(0, 0, 0, 0, 0, 0));
            return;
        }

        foreach (var sequence in victim.Sequences)
        {
            sequence.Pages.ReleaseAll();
            sequence.KvLength = 0;
        }

        RequestTable.FlushDeltas(victim);
        victim.Phase = RequestPhase.Waiting;
        requests.Running.Remove(victim);
        requests.Waiting.AddFirst(victim);
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
        if (!settings.IgnoreEos && (limits.EosTokenIds.Contains(token) || settings.StopTokenIds.Contains(token)))
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
            requests.FinishSequence(sequence, finish);
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
}
