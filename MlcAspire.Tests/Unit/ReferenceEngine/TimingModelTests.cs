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

    private static async Task<(IReadOnlyList<Step> Steps, IReadOnlyDictionary<string, double> EndToEndSeconds)> RunAsync(
        params (string Id, int PromptLength, int MaxTokens)[] requests)
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = new FakeTimeProvider();
        var options = new EngineOptions { Model = TimingModelDirectory.Directory, PrefixCacheMode = "disable" };
        var limits = new EngineLimits(TimingModelDirectory.Config.VocabSize, 4, 256, 4096, 256, TimingModelDirectory.Config.EosTokenIds, false);
        var cache = new PagedKvCache(limits.KvPages, rowFloats: 16);
        var model = new StepLog(new TimingModel(Schedule, cache, limits.VocabSize, limits.EosTokenIds, clock.Advance), clock);
        var world = new NvshmemWorld(options, new KvReceiver(cache, NullLogger<KvReceiver>.Instance), NullLogger<NvshmemWorld>.Instance);
        var mailbox = new EngineMailbox();

        // Submitted before the loop starts, so the first step admits them all, in order.
        var tickets = requests.Select(request => mailbox.Submit(events => new EngineRequest(
            request.Id,
            RequestKind.Generate,
            [.. Enumerable.Range(1, request.PromptLength)],
            new GenerationSettings(1, 0, 1, 0, request.MaxTokens, [], true, null),
            events,
            CancellationToken.None))).ToList();
        using var loop = new EngineLoop(options, mailbox, limits, cache, model, TimingModelDirectory.Tokenizer, new KvSender(world), clock, NullLogger<EngineLoop>.Instance);
        await loop.StartAsync(ct);
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
    }

    private sealed record Step(int PrefillTokens, int DecodeTokens, TimeSpan Time);

    /// <summary>Records what each step computed and how much virtual time the model spent on it.</summary>
    private sealed class StepLog(IModelRunner model, TimeProvider clock) : IModelRunner
    {
        public List<Step> Steps { get; } = [];

        public void Forward(IReadOnlyList<int> pages, ReadOnlySpan<int> tokens, int startPosition, Span<float> logits) =>
            model.Forward(pages, tokens, startPosition, logits);

        public void EndStep(int prefillTokens, int decodeTokens)
        {
            var start = clock.GetUtcNow();
            model.EndStep(prefillTokens, decodeTokens);
            Steps.Add(new Step(prefillTokens, decodeTokens, clock.GetUtcNow() - start));
        }
    }
}
