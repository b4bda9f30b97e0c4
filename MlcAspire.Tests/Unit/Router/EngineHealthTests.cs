using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MlcAspire.Router;
using MlcAspire.Router.Health;
using MlcAspire.Router.Scheduling;

namespace MlcAspire.Tests.Unit.Router;

[Trait("Category", "Unit")]
public sealed class EngineHealthTests
{
    private static readonly TimeSpan BreakDuration = TimeSpan.FromSeconds(5);

    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void ConsecutiveFailures_OpenTheCircuitAtTheThreshold_AndASuccessInBetweenResetsTheCount()
    {
        var health = new EngineHealth(_time, failureThreshold: 2, BreakDuration);

        health.RecordFailure("one");
        health.RecordSuccess();
        health.RecordFailure("two");
        Assert.Equal(CircuitState.Closed, health.State);

        health.RecordFailure("three");
        Assert.Equal(CircuitState.Open, health.State);
        Assert.False(health.IsAvailable);
        Assert.Equal("three", health.LastFailure);
    }

    [Fact]
    public void AfterTheBreak_OneTrialIsAllowed_ItsSuccessClosesAndItsFailureReopens()
    {
        var health = new EngineHealth(_time, failureThreshold: 1, BreakDuration);
        health.RecordFailure("down");

        _time.Advance(BreakDuration);
        Assert.True(health.IsAvailable);
        health.OnDispatched(wasIdle: true);
        Assert.Equal(CircuitState.HalfOpen, health.State);
        Assert.False(health.IsAvailable);

        health.RecordFailure("still down");
        Assert.Equal(CircuitState.Open, health.State);

        _time.Advance(BreakDuration);
        health.OnDispatched(wasIdle: true);
        health.RecordSuccess();
        Assert.Equal(CircuitState.Closed, health.State);
        Assert.True(health.IsAvailable);
    }

    [Fact]
    public void AnInconclusiveTrial_FreesTheHalfOpenSlot()
    {
        var health = new EngineHealth(_time, failureThreshold: 1, BreakDuration);
        health.Trip("unreachable");
        _time.Advance(BreakDuration);
        health.OnDispatched(wasIdle: true);

        health.RecordInconclusive();

        Assert.True(health.IsAvailable);
    }

    [Fact]
    public void SinceProgress_StartsWhenAnIdleEngineGetsWork_NotAtItsLastAnswer()
    {
        var health = new EngineHealth(_time, failureThreshold: 1, BreakDuration);
        _time.Advance(TimeSpan.FromHours(1));

        health.OnDispatched(wasIdle: true);
        _time.Advance(TimeSpan.FromSeconds(2));
        health.OnDispatched(wasIdle: false);

        Assert.Equal(TimeSpan.FromSeconds(2), health.SinceProgress);
    }

    [Fact]
    public void Scheduler_SkipsAnEngineWhoseCircuitIsOpen_AndAPairWithAnOpenMember()
    {
        var scheduler = new EngineScheduler(Options.Create(new RouterOptions
        {
            Model = "m",
            Engines =
            [
                new EngineOptions { Name = "engine-0", Role = EngineRole.Prefill, PeStart = 0 },
                new EngineOptions { Name = "engine-1", Role = EngineRole.Decode, PeStart = 1 },
                new EngineOptions { Name = "engine-2", Role = EngineRole.Decode, PeStart = 2 },
            ],
        }), Options.Create(new ReliabilityOptions()), _time);

        scheduler.Engines[1].Health.Trip("down");
        using (var decode = scheduler.Acquire(EngineSelection.Decode))
        using (var again = scheduler.Acquire(EngineSelection.Decode))
        {
            Assert.Equal("engine-2", decode!.Engine.Name);
            Assert.Equal("engine-2", again!.Engine.Name);
        }

        scheduler.Engines[0].Health.Trip("down");
        Assert.Null(scheduler.Acquire(EngineSelection.Prefill));
        Assert.True(scheduler.AnyGeneratingEngineAvailable);

        scheduler.Engines[2].Health.Trip("down");
        Assert.False(scheduler.AnyGeneratingEngineAvailable);
    }

    [Fact]
    public void Scheduler_PrefersAnEngineWhoseLastCallDidNotFail_EvenWhenItIsMoreLoaded()
    {
        var scheduler = new EngineScheduler(Options.Create(new RouterOptions
        {
            Model = "m",
            Engines =
            [
                new EngineOptions { Name = "engine-0", Role = EngineRole.Both, PeStart = 0 },
                new EngineOptions { Name = "engine-1", Role = EngineRole.Both, PeStart = 1 },
            ],
        }), Options.Create(new ReliabilityOptions()), _time);
        using var busy = scheduler.Acquire(EngineSelection.Any);
        var other = scheduler.Engines.Single(e => e != busy!.Engine);

        other.Health.RecordFailure("refused");
        using var next = scheduler.Acquire(EngineSelection.Any);

        Assert.Same(busy!.Engine, next!.Engine);
    }
}
