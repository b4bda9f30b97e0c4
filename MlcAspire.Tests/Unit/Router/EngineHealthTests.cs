using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using MlcAspire.Contracts;
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

        health.RecordFault("one");
        health.RecordSuccess();
        health.RecordFault("two");
        Assert.Equal(CircuitState.Closed, health.State);

        health.RecordFault("three");
        Assert.Equal(CircuitState.Open, health.State);
        Assert.False(health.IsAvailable);
        Assert.Equal("three", health.LastFailure);
    }

    [Fact]
    public void AfterTheBreak_OneTrialIsAllowed_ItsSuccessClosesAndItsFailureReopens()
    {
        var health = new EngineHealth(_time, failureThreshold: 1, BreakDuration);
        health.RecordFault("down");

        _time.Advance(BreakDuration);
        Assert.True(health.IsAvailable);
        health.OnDispatched(wasIdle: true);
        Assert.Equal(CircuitState.HalfOpen, health.State);
        Assert.False(health.IsAvailable);

        health.RecordFault("still down");
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
        var scheduler = TestSchedulers.Create(_time, RouterMode.Disagg, EngineRole.Prefill, EngineRole.Decode, EngineRole.Decode);

        scheduler.Engines[1].Health.Trip("down");
        using (var decode = scheduler.Acquire(EngineSelection.Decode))
        using (var again = scheduler.Acquire(EngineSelection.Decode))
        {
            Assert.Equal("engine-2", decode!.Engine.Name);
            Assert.Equal("engine-2", again!.Engine.Name);
        }

        Assert.Null(scheduler.Unavailability);
        scheduler.Engines[0].Health.Trip("down");
        Assert.Null(scheduler.Acquire(EngineSelection.Prefill));
        Assert.Null(scheduler.AcquirePair());
        Assert.Equal("No prefill engine is healthy (engine-0 out of rotation); try again later.", scheduler.Unavailability);

        scheduler.Engines[2].Health.Trip("down");
        Assert.Equal("No decode engine is healthy (engine-1, engine-2 out of rotation); try again later.", scheduler.Unavailability);
    }

    [Fact]
    public void Scheduler_RoundRobinWithEveryEngineOut_SaysNoEngineIsHealthy()
    {
        var scheduler = TestSchedulers.Create(_time, RouterMode.RoundRobin, EngineRole.Both, EngineRole.Both);

        scheduler.Engines[0].Health.Trip("down");
        Assert.Null(scheduler.Unavailability);
        scheduler.Engines[1].Health.Trip("down");

        Assert.Equal("No engine is healthy (engine-0, engine-1 out of rotation); try again later.", scheduler.Unavailability);
    }

    [Fact]
    public void IsStuck_CallsWaitingForTheirAnswerLongerThanTheStuckTimeout_AreNotStuck()
    {
        var health = new EngineHealth(_time, failureThreshold: 1, BreakDuration);
        health.OnDispatched(wasIdle: true);

        // A prep_recv queued on D or a remote_send computing on P: no stream, legitimately silent for a minute.
        _time.Advance(TimeSpan.FromSeconds(61));
        Assert.False(health.IsStuck(TimeSpan.FromSeconds(30)));

        // Its stream starts (headers are progress), then goes silent.
        health.OnStreamStarted();
        Assert.False(health.IsStuck(TimeSpan.FromSeconds(30)));
        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.True(health.IsStuck(TimeSpan.FromSeconds(30)));

        health.OnStreamEnded();
        Assert.False(health.IsStuck(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void Scheduler_PrefersAnEngineWhoseLastCallDidNotFail_EvenWhenItIsMoreLoaded()
    {
        var scheduler = TestSchedulers.Create(_time, RouterMode.Disagg, EngineRole.Both, EngineRole.Both);
        using var busy = scheduler.Acquire(EngineSelection.Any);
        var other = scheduler.Engines.Single(e => e != busy!.Engine);

        other.Health.RecordFault("refused");
        using var next = scheduler.Acquire(EngineSelection.Any);

        Assert.Same(busy!.Engine, next!.Engine);
    }
}
