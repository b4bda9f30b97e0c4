using System.Globalization;
using MlcAspire.AppHost.Planning;

namespace MlcAspire.AppHost.Running;

/// <summary>
/// A resource's process and state; every state change completes the signal that waiters hold and is reported to
/// <paramref name="onStateChanged"/> (under this resource's lock, so one resource's changes arrive in order).
/// </summary>
internal sealed class RunningResource(ResourcePlan plan, Action<string, ResourceState> onStateChanged)
{
    private readonly Lock _lock = new();
    private readonly IReadOnlyList<string> _devices =
        plan.Engine is { } engine ? [.. engine.Devices.Select(d => $"cuda:{d.ToString(CultureInfo.InvariantCulture)}")] : [];

    private ResourceState _state = ResourceState.NotStarted;
    private int? _exitCode;
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ResourcePlan Plan => plan;

    public ManagedProcess? Process { get; private set; }

    /// <summary>Completes once the end of the started process is recorded (at once if it never started).</summary>
    public Task Completion => Process is null ? Task.CompletedTask : _ended.Task;

    public ResourceSnapshot Snapshot()
    {
        lock (_lock)
        {
            return new(plan.Name, _state, Process?.Id, plan.Endpoint.Url, _devices, _exitCode);
        }
    }

    public (ResourceSnapshot Snapshot, Task Changed) SnapshotAndSignal()
    {
        lock (_lock)
        {
            return (Snapshot(), _changed.Task);
        }
    }

    public void Started(ManagedProcess process)
    {
        lock (_lock)
        {
            Process = process;
            Set(ResourceState.Starting);
        }
    }

    public void Ready() => Transition(ResourceState.Starting, ResourceState.Running);

    public void Failed() => Transition(ResourceState.Starting, ResourceState.Failed);

    public void FailedToStart() => Transition(ResourceState.NotStarted, ResourceState.Failed);

    public void Stopping()
    {
        lock (_lock)
        {
            if (_state is ResourceState.Starting or ResourceState.Running)
            {
                Set(ResourceState.Stopping);
            }
        }
    }

    /// <summary>Records the exit; a process that ends while the runner stops it counts as stopped, not failed.</summary>
    public ResourceState Ended(int exitCode, bool stopping)
    {
        lock (_lock)
        {
            _exitCode = exitCode;
            Set(stopping || _state == ResourceState.Stopping
                ? ResourceState.Stopped
                : exitCode == 0 ? ResourceState.Exited : ResourceState.Failed);
            _ended.TrySetResult();
            return _state;
        }
    }

    private void Transition(ResourceState from, ResourceState to)
    {
        lock (_lock)
        {
            if (_state == from)
            {
                Set(to);
            }
        }
    }

    private void Set(ResourceState state)
    {
        _state = state;
        onStateChanged(plan.Name, state);
        var changed = _changed;
        _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }
}
