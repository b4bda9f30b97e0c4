extern alias ReferenceEngine;

using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MlcAspire.Models;
using ReferenceEngine::MlcAspire.ReferenceEngine.Cli;
using ReferenceEngine::MlcAspire.ReferenceEngine.KvCache;
using ReferenceEngine::MlcAspire.ReferenceEngine.Model;
using ReferenceEngine::MlcAspire.ReferenceEngine.Serving;
using ReferenceEngine::MlcAspire.ReferenceEngine.Transfer;

namespace MlcAspire.Tests.Unit.ReferenceEngine;

/// <summary>
/// The timing model's schedule as the engine loop runs it, in virtual time: the model advances a fake clock by each
/// step's scheduled time instead of sleeping, so latencies are the schedule's exactly, however loaded the machine.
/// </summary>
[Trait("Category", "Unit")]
public sealed class TimingModelTests
{
    private static readonly TimingSchedule Schedule = new(PrefillSecondsPerToken: 0.0001, DecodeSecondsPerStep: 0.02, DecodeSlowdownDuringPrefill: 1.5);
    private static readonly MlcModel TimingModelDirectory = MlcModel.Load(Path.Combine(RepositoryPaths.Root, "models", "reference-timing"));

    [Fact]
    public void StepTime_DecodeSharingTheStepWithAPrefill_IsSlowedDown()
    {
        Assert.Equal(TimeSpan.FromSeconds(0.02), Schedule.StepTime(prefillTokens: 0, decodeTokens: 3));
        Assert.Equal(TimeSpan.FromSeconds(0.0256), Schedule.StepTime(prefillTokens: 256, decodeTokens: 0));
        Assert.Equal(TimeSpan.FromSeconds((256 * 0.0001) + (0.02 * 1.5)), Schedule.StepTime(prefillTokens: 256, decodeTokens: 3));
    }

    [Fact]
    public async Task DecodingRequest_WhileAnotherPrefills_TakesLongerByTheSlowdown()
    {
        var alone = await RunAsync(("decoding", 8, 6));
        var shared = await RunAsync(("decoding", 8, 6), ("prefilling", 1000, 1));

        // Alone: an 8-token prefill, then decode steps of 20 ms.
        Assert.Equal([(8, 0), (0, 1), (0, 1), (0, 1), (0, 1), (0, 1)], alone.Steps.Select(s => (s.PrefillTokens, s.DecodeTokens)));
        Assert.All(alone.Steps.Skip(1), step => Assert.Equal(TimeSpan.FromSeconds(0.02), step.Time));

        // Shared: the 1,000-token prompt is prefilled in 256-token chunks, and the three decode steps that share a step
        // with a chunk take 1.5 × 20 ms on top of the chunk's own time; once the prefill is over, decodes take 20 ms again.
        Assert.Equal([(256, 0), (256, 1), (256, 1), (240, 1), (0, 1), (0, 1)], shared.Steps.Select(s => (s.PrefillTokens, s.DecodeTokens)));
        Assert.All(shared.Steps.Where(s => s.PrefillTokens > 0 && s.DecodeTokens > 0),
            step => Assert.Equal(TimeSpan.FromSeconds((step.PrefillTokens * 0.0001) + (0.02 * 1.5)), step.Time));
        Assert.All(shared.Steps.Where(s => s.PrefillTokens == 0), step => Assert.Equal(TimeSpan.FromSeconds(0.02), step.Time));

        // The decoding request ends with its 6th step, once that step's time is spent: no token leaves before its step ends.
        Assert.Equal(0.0008 + (5 * 0.02), alone.EndToEndSeconds["decoding"], precision: 6);
        Assert.Equal(0.0256 + (2 * (0.0256 + 0.03)) + (0.024 + 0.03) + (2 * 0.02), shared.EndToEndSeconds["decoding"], precision: 6);
    }

    [Fact]
    public async Task PromptSharingAPrefix_ArrivingWhileTheFirstStillDecodes_ComputesOnlyWhatFollowsItsFullPages()
    {
        // The first prompt's 62 full pages (992 tokens) are cached once its prefill ends, though it still decodes for
        // 40 steps; the second, submitted after that prefill, shares them and computes its 108 tokens after them.
        int[] first = [.. Enumerable.Range(1, 1000)];
        int[] second = [.. first[..992], .. Enumerable.Repeat(1020, 108)];
        var run = await RunAsync([("first", first, 40)], prefixCache: true, followUp: (PrefillTokens: 1000, Request: ("second", second, 1)));

        Assert.Equal(1000 + 108, run.Steps.Sum(step => step.PrefillTokens));
        Assert.Equal(["first", "second"], run.EndToEndSeconds.Keys.Order());
    }

    private static Task<(IReadOnlyList<Step> Steps, IReadOnlyDictionary<string, double> EndToEndSeconds)> RunAsync(
        params (string Id, int PromptLength, int MaxTokens)[] requests) =>
        RunAsync([.. requests.Select(r => (r.Id, (int[])[.. Enumerable.Range(1, r.PromptLength)], r.MaxTokens))], prefixCache: false, followUp: null);

    /// <param name="followUp">A request submitted from the engine's own loop once the steps have prefilled that many tokens, so that it is admitted at the next step.</param>
    private static async Task<(IReadOnlyList<Step> Steps, IReadOnlyDictionary<string, double> EndToEndSeconds)> RunAsync(
        (string Id, int[] Prompt, int MaxTokens)[] requests, bool prefixCache, (int PrefillTokens, (string Id, int[] Prompt, int MaxTokens) Request)? followUp)
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = new FakeTimeProvider();
        var options = new EngineOptions { Model = TimingModelDirectory.Directory, PrefixCacheMode = prefixCache ? "radix" : "disable" };
        var limits = new EngineLimits(TimingModelDirectory.Config.VocabSize, 4, 256, 4096, 256, TimingModelDirectory.Config.EosTokenIds, prefixCache);
        var cache = new PagedKvCache(limits.KvPages, rowFloats: 16);
        var mailbox = new EngineMailbox();
        var followUpTicket = new TaskCompletionSource<EngineTicket>(TaskCreationOptions.RunContinuationsAsynchronously);
        var model = new StepLog(new TimingModel(Schedule, cache, limits.VocabSize, limits.EosTokenIds, clock.Advance), clock, prefilled =>
        {
            if (followUp is { } next && prefilled == next.PrefillTokens)
            {
                followUpTicket.TrySetResult(Submit(next.Request));
            }
        });
        var world = new NvshmemWorld(options, new KvReceiver(cache, NullLogger<KvReceiver>.Instance), NullLogger<NvshmemWorld>.Instance);

        // Submitted before the loop starts, so the first step admits them all, in order.
        var tickets = requests.Select(Submit).ToList();
        using var loop = new EngineLoop(options, mailbox, limits, cache, model, TimingModelDirectory.Tokenizer, new KvSender(world), clock, NullLogger<EngineLoop>.Instance);
        await loop.StartAsync(ct);
        if (followUp is not null)
        {
            tickets.Add(await followUpTicket.Task.WaitAsync(ct));
        }

        var endToEnd = new Dictionary<string, double>();
        foreach (var ticket in tickets)
        {
            await foreach (var item in ticket.Events.ReadAllAsync(ct))
            {
                if (item is FinishedEvent finished)
                {
                    endToEnd[ticket.Id] = finished.Usage.EndToEndSeconds;
                }
            }
        }

        await loop.StopAsync(ct);
        return (model.Steps, endToEnd);

        EngineTicket Submit((string Id, int[] Prompt, int MaxTokens) request) => mailbox.Submit(events => new EngineRequest(
            request.Id,
            RequestKind.Generate,
            request.Prompt,
            new GenerationSettings(1, 0, 1, 0, request.MaxTokens, [], true, null),
            events,
            CancellationToken.None));
    }

    private sealed record Step(int PrefillTokens, int DecodeTokens, TimeSpan Time);

    /// <summary>Records what each step computed and how much virtual time the model spent on it; tells <paramref name="prefilled"/> the prefill tokens so far after each step.</summary>
    private sealed class StepLog(IModelRunner model, TimeProvider clock, Action<int>? prefilled = null) : IModelRunner
    {
        private int _prefillTokens;

        public List<Step> Steps { get; } = [];

        public void Forward(IReadOnlyList<int> pages, ReadOnlySpan<int> tokens, int startPosition, Span<float> logits) =>
            model.Forward(pages, tokens, startPosition, logits);

        public void EndStep(int prefillTokens, int decodeTokens)
        {
            var start = clock.GetUtcNow();
            model.EndStep(prefillTokens, decodeTokens);
            Steps.Add(new Step(prefillTokens, decodeTokens, clock.GetUtcNow() - start));
            _prefillTokens += prefillTokens;
            prefilled?.Invoke(_prefillTokens);
        }
    }
}
