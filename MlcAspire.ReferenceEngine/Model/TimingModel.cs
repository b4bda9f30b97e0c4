using MlcAspire.ReferenceEngine.KvCache;

namespace MlcAspire.ReferenceEngine.Model;

/// <summary>
/// The benchmark model (<c>model_type: "reference-timing"</c>): no transformer arithmetic, but each step takes the
/// time the schedule gives (prefill time per prompt token, time per decode step, and decodes slowed down while a
/// prefill shares the step), so throughput and latency behave like a GPU engine's. The next token is a hash of
/// the current token and its position, never an end-of-sequence id, and KV rows carry the token ids so that a
/// KV transfer is still checked end to end.
/// </summary>
/// <remarks>
/// Each step's time goes to <c>spend</c>: the engine passes <see cref="Thread.Sleep(TimeSpan)"/> (the engine loop
/// owns its thread, as it would a GPU stream); a test passes a fake clock's <c>Advance</c>, so the schedule runs in
/// virtual time and the loop's latencies are the schedule's, exactly.
/// </remarks>
internal sealed class TimingModel(TimingSchedule schedule, PagedKvCache cache, int vocabSize, IReadOnlyList<int> eosTokenIds, Action<TimeSpan> spend)
    : IModelRunner
{
    public void Forward(IReadOnlyList<int> pages, ReadOnlySpan<int> tokens, int startPosition, Span<float> logits)
    {
        for (var i = 0; i < tokens.Length; i++)
        {
            cache.Row(pages, startPosition + i)[0] = tokens[i];
        }

        if (logits.IsEmpty)
        {
            return;
        }

        // The next token depends on the first position's KV row too, so KV that never arrived changes the output.
        var position = startPosition + tokens.Length - 1;
        var seed = (uint)(tokens[^1] * 7919 + position * 104729 + (int)cache.Row(pages, 0)[0] * 31);
        var next = (int)(seed % (uint)vocabSize);
        while (eosTokenIds.Contains(next))
        {
            next = (next + 1) % vocabSize;
        }

        // A margin wide enough that temperature sampling picks the same token as greedy decoding.
        logits.Clear();
        logits[next] = 100.0f;
    }

    public void EndStep(int prefillTokens, int decodeTokens) => spend(schedule.StepTime(prefillTokens, decodeTokens));
}
