using MlcAspire.Contracts;
using MlcAspire.Router;
using MlcAspire.Router.Protocol;
using MlcAspire.Router.Scheduling;

namespace MlcAspire.Tests.Unit.Router;

[Trait("Category", "Unit")]
public sealed class CacheAwareSchedulingTests
{
    [Fact]
    public void Acquire_CacheAware_SendsAConversationsNextTurnWhereItsPrefixIs()
    {
        var scheduler = TestSchedulers.Create(RoutingPolicy.CacheAware, EngineRole.Both, EngineRole.Both, EngineRole.Both);
        var firstTurn = Tokens(0, 600);
        string first;
        using (var lease = scheduler.Acquire(EngineSelection.Any, route: Route(scheduler, firstTurn))!)
        {
            first = lease.Engine.Name;
        }

        var later = Enumerable.Range(0, 4).Select(turn =>
        {
            var route = Route(scheduler, [.. firstTurn, .. Tokens(10_000 + turn * 100, 50)]);
            using var lease = scheduler.Acquire(EngineSelection.Any, route: route)!;
            Assert.Equal(RouteReason.Cache, route.Decisions.Single().Reason);
            return lease.Engine.Name;
        });

        Assert.All(later, name => Assert.Equal(first, name));
    }

    [Fact]
    public void Acquire_LeastLoaded_IgnoresThePrefixAndRotates()
    {
        var scheduler = TestSchedulers.Create(RoutingPolicy.LeastLoaded, EngineRole.Both, EngineRole.Both);
        var prompt = Tokens(0, 600);

        var picks = Enumerable.Range(0, 4).Select(_ =>
        {
            using var lease = scheduler.Acquire(EngineSelection.Any, route: Route(scheduler, prompt))!;
            return lease.Engine.Name;
        });

        Assert.Equal(["engine-0", "engine-1", "engine-0", "engine-1"], picks);
    }

    [Fact]
    public void Acquire_NoSharedPrefix_CacheAwareMakesLeastLoadedsChoices()
    {
        var leastLoaded = TestSchedulers.Create(RoutingPolicy.LeastLoaded, EngineRole.Both, EngineRole.Both, EngineRole.Both, EngineRole.Both);
        var cacheAware = TestSchedulers.Create(RoutingPolicy.CacheAware, EngineRole.Both, EngineRole.Both, EngineRole.Both, EngineRole.Both);

        Assert.Equal(Picks(leastLoaded), Picks(cacheAware));

        // Requests of distinct random prompts arrive and finish in a seeded order, so the loads differ from pick to pick.
        static List<string> Picks(EngineScheduler scheduler)
        {
            var random = new Random(7);
            var held = new List<EngineLease>();
            var picks = new List<string>();
            for (var i = 0; i < 200; i++)
            {
                if (held.Count > 0 && random.Next(3) == 0)
                {
                    var done = random.Next(held.Count);
                    held[done].Dispose();
                    held.RemoveAt(done);
                }

                var lease = scheduler.Acquire(EngineSelection.Any, route: Route(scheduler, [.. Enumerable.Range(0, 64 + random.Next(600)).Select(_ => random.Next(50_000))]))!;
                held.Add(lease);
                picks.Add(lease.Engine.Name);
            }

            held.ForEach(lease => lease.Dispose());
            return picks;
        }
    }

    [Fact]
    public void AcquirePair_RecordsBothDecisions_AndTheDecodeEngineHoldsThePrompt()
    {
        var scheduler = TestSchedulers.Create(RoutingPolicy.CacheAware, EngineRole.Prefill, EngineRole.Decode, EngineRole.Decode);
        var route = Route(scheduler, Tokens(0, 320));

        var (decode, prefill) = scheduler.AcquirePair(route)!.Value;
        using (decode)
        using (prefill)
        {
            Assert.Equal([EngineSelection.Decode, EngineSelection.Prefill], route.Decisions.Select(d => d.Selection));
            Assert.Equal(320 / 16, scheduler.PrefixesOf(decode.Engine).Count);
            Assert.Equal(0, scheduler.PrefixesOf(prefill.Engine).Count);
            Assert.StartsWith($"decode={decode.Engine.Name};decode_reason=least-loaded", route.Describe(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void LowestPrefillBacklog_IsTheLeastBackloggedPrefillEngineInRotation_OtherThanTheDecodeEngine()
    {
        var scheduler = TestSchedulers.Create(RoutingPolicy.CacheAware, EngineRole.Prefill, EngineRole.Both, EngineRole.Prefill, EngineRole.Decode);
        var (prefill, both, drained, decode) = (scheduler.Engines[0], scheduler.Engines[1], scheduler.Engines[2], scheduler.Engines[3]);
        prefill.AddPrefillBacklog(3000);
        both.AddPrefillBacklog(1000);
        drained.IsDrained = true;

        Assert.Equal(1000, scheduler.LowestPrefillBacklog(exclude: decode));
        Assert.Equal(3000, scheduler.LowestPrefillBacklog(exclude: both));

        prefill.AddPrefillBacklog(-3000);
        Assert.Equal(0, scheduler.LowestPrefillBacklog(exclude: both));
        Assert.Null(TestSchedulers.Create(RoutingPolicy.CacheAware, EngineRole.Decode, EngineRole.Decode).LowestPrefillBacklog(exclude: null));
    }

    [Fact]
    public void Correct_AReportShorterThanPredicted_ForgetsWhatTheEngineEvictedBeforeIt()
    {
        var scheduler = TestSchedulers.Create(RoutingPolicy.CacheAware, EngineRole.Prefill, EngineRole.Decode);
        var stale = Route(scheduler, Tokens(50_000, 160));
        scheduler.Acquire(EngineSelection.Decode, route: stale)!.Dispose();
        var prompt = Tokens(0, 320);
        scheduler.Acquire(EngineSelection.Decode, route: Route(scheduler, prompt))!.Dispose();
        var route = Route(scheduler, prompt);
        using var decode = scheduler.Acquire(EngineSelection.Decode, route: route)!;

        scheduler.Correct(decode.Engine, route, reportedTokens: 64, windowTokens: 319);

        Assert.Equal(0, scheduler.PrefixesOf(decode.Engine).Match(stale.Chain));
        Assert.Equal(320 / 16, scheduler.PrefixesOf(decode.Engine).Match(route.Chain));
    }

    private static RouteContext Route(EngineScheduler scheduler, int[] tokens)
    {
        var (request, _) = CompletionRequestParser.Parse(new System.Text.Json.Nodes.JsonObject
        {
            ["model"] = "m",
            ["prompt"] = new System.Text.Json.Nodes.JsonArray([.. tokens.Select(t => (System.Text.Json.Nodes.JsonNode)t)]),
        }, "m", new RequestLimitsOptions());
        return scheduler.CreateRoute(request!);
    }

    private static int[] Tokens(int start, int count) => [.. Enumerable.Range(start, count)];
}
