using Microsoft.Extensions.Options;
using MlcAspire.Contracts;
using MlcAspire.Router;
using MlcAspire.Router.Scheduling;

namespace MlcAspire.Tests.Unit.Router;

[Trait("Category", "Unit")]
public sealed class EngineSchedulerTests
{
    [Fact]
    public void Acquire_WithEqualLoads_RotatesInsteadOfFavouringTheLowestIndex()
    {
        var scheduler = Create(EngineRole.Both, EngineRole.Both, EngineRole.Both);

        var picks = Enumerable.Range(0, 6).Select(_ =>
        {
            using var lease = scheduler.Acquire(EngineSelection.Any)!;
            return lease.Engine.Name;
        });

        Assert.Equal(["engine-0", "engine-1", "engine-2", "engine-0", "engine-1", "engine-2"], picks);
    }

    [Fact]
    public void Acquire_PrefersTheLeastLoadedEngine()
    {
        var scheduler = Create(EngineRole.Both, EngineRole.Both);
        using var busy = scheduler.Acquire(EngineSelection.Any)!;

        using var next = scheduler.Acquire(EngineSelection.Any)!;
        using var third = scheduler.Acquire(EngineSelection.Any)!;

        Assert.NotEqual(busy.Engine, next.Engine);
        Assert.Equal([2, 1], scheduler.Engines.Select(e => e.ActiveRequests).OrderDescending());
    }

    [Fact]
    public void Acquire_ByRole_PicksOnlyQualifyingEngines_AndHonoursTheExclusion()
    {
        var scheduler = Create(EngineRole.Prefill, EngineRole.Decode, EngineRole.Both);

        using var decode = scheduler.Acquire(EngineSelection.Decode)!;
        using var prefill = scheduler.Acquire(EngineSelection.Prefill, exclude: decode.Engine)!;

        Assert.True(decode.Engine.CanDecode);
        Assert.True(prefill.Engine.CanPrefill);
        Assert.NotEqual(decode.Engine, prefill.Engine);
    }

    [Fact]
    public void AcquirePair_WhenTheLeastLoadedDecodeEngineIsTheOnlyPrefillEngine_ItPrefillsAndAnotherDecodes()
    {
        var scheduler = Create(EngineRole.Both, EngineRole.Decode);

        var pair = scheduler.AcquirePair();

        Assert.NotNull(pair);
        using var decode = pair.Value.Decode;
        using var prefill = pair.Value.Prefill;
        Assert.Equal("engine-1", decode.Engine.Name);
        Assert.Equal("engine-0", prefill.Engine.Name);
        Assert.Equal([1, 1], scheduler.Engines.Select(e => e.ActiveRequests));
    }

    [Fact]
    public void AcquirePair_WithEqualLoads_RotatesDecodeEngines()
    {
        var scheduler = Create(EngineRole.Prefill, EngineRole.Decode, EngineRole.Decode);

        var decodes = Enumerable.Range(0, 4).Select(_ =>
        {
            var (decode, prefill) = scheduler.AcquirePair()!.Value;
            using (decode)
            using (prefill)
            {
                return decode.Engine.Name;
            }
        });

        Assert.Equal(["engine-1", "engine-2", "engine-1", "engine-2"], decodes);
    }

    [Fact]
    public void Lease_DisposedTwice_ReleasesOnce()
    {
        var scheduler = Create(EngineRole.Both);
        var first = scheduler.Acquire(EngineSelection.Any)!;
        using var second = scheduler.Acquire(EngineSelection.Any)!;

        first.Dispose();
        first.Dispose();

        Assert.Equal(1, scheduler.Engines[0].ActiveRequests);
        Assert.Equal(2, scheduler.Engines[0].TotalRequests);
    }

    [Fact]
    public void Acquire_WhenNoEngineQualifies_ReturnsNull()
    {
        var scheduler = Create(EngineRole.Decode);

        Assert.Null(scheduler.Acquire(EngineSelection.Prefill));
    }

    private static EngineScheduler Create(params EngineRole[] roles) => TestSchedulers.Create(TimeProvider.System, RouterMode.Disagg, roles);
}
