namespace MlcAspire.AppHost.Running;

/// <summary>A resource's lifecycle, as the runner observes it (the names follow Aspire's dashboard states).</summary>
internal enum ResourceState
{
    /// <summary>Not started yet (it waits for others, or startup stopped before it).</summary>
    NotStarted,

    /// <summary>The process runs; its health path has not answered 200 yet.</summary>
    Starting,

    /// <summary>The process runs and its health path answered 200.</summary>
    Running,

    /// <summary>The process ended on its own with exit code 0.</summary>
    Exited,

    /// <summary>The process ended on its own with a non-zero code, or could not start or become ready.</summary>
    Failed,

    /// <summary>The runner is stopping it.</summary>
    Stopping,

    /// <summary>The runner stopped it.</summary>
    Stopped,
}
