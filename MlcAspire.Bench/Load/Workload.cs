namespace MlcAspire.Bench.Load;

/// <summary>Prompt and output length distributions, streamed or not. Prompts are token-id lists, so that their
/// length is exact whatever the tokenizer (the engines and the router take an int[] prompt as is).</summary>
internal sealed record Workload(LengthDistribution PromptTokens, LengthDistribution OutputTokens, bool Stream)
{
    // Ids of ordinary tokens in any vocabulary larger than a few hundred entries (well clear of 0–2: pad, bos, eos).
    private const int FirstTokenId = 100;
    private const int TokenIdSpan = 100;

    /// <summary>How many distinct bodies to prepare; requests cycle through them at random.</summary>
    private const int PoolSize = 64;

    public override string ToString() =>
        $"prompt {PromptTokens} tokens, output {OutputTokens} tokens, {(Stream ? "streamed" : "not streamed")}";

    public RequestSpec[] Prepare(string model, int seed, bool recordChunkTimes = false)
    {
        var random = new Random(seed);
        var pool = new RequestSpec[PoolSize];
        for (var i = 0; i < pool.Length; i++)
        {
            var prompt = new int[PromptTokens.Next(random)];
            for (var t = 0; t < prompt.Length; t++)
            {
                prompt[t] = FirstTokenId + random.Next(TokenIdSpan);
            }

            var maxTokens = OutputTokens.Next(random);
            pool[i] = new RequestSpec(prompt, maxTokens, Stream, CompletionBody.Write(model, prompt, maxTokens, Stream, extra: null), recordChunkTimes);
        }

        return pool;
    }
}
