using Microsoft.Extensions.Logging;

namespace MlcAspire.AppHost.Running;

internal static partial class RunnerLog
{
    [LoggerMessage(EventId = 1, EventName = "ResourceStarted", Level = LogLevel.Information,
        Message = "{ResourceName} started as process {ProcessId}")]
    public static partial void ResourceStarted(ILogger logger, string resourceName, int processId);

    [LoggerMessage(EventId = 2, EventName = "ResourceReady", Level = LogLevel.Information,
        Message = "{ResourceName} is ready at {Url}")]
    public static partial void ResourceReady(ILogger logger, string resourceName, Uri url);

    [LoggerMessage(EventId = 3, EventName = "ResourceEnded", Level = LogLevel.Warning,
        Message = "{ResourceName} (process {ProcessId}) ended with exit code {ExitCode}: {State}")]
    public static partial void ResourceEnded(ILogger logger, string resourceName, int processId, int exitCode, ResourceState state);

    [LoggerMessage(EventId = 4, EventName = "NvshmemUidReceived", Level = LogLevel.Information,
        Message = "NVSHMEM uid received from {HelperName} (process {ProcessId})")]
    public static partial void NvshmemUidReceived(ILogger logger, string helperName, int processId);

    [LoggerMessage(EventId = 5, EventName = "Stopping", Level = LogLevel.Information,
        Message = "Stopping the router, then the engines, then any helper")]
    public static partial void Stopping(ILogger logger);

    [LoggerMessage(EventId = 7, EventName = "ResourceStopped", Level = LogLevel.Information,
        Message = "{ResourceName} (process {ProcessId}) stopped")]
    public static partial void ResourceStopped(ILogger logger, string resourceName, int processId);

    [LoggerMessage(EventId = 6, EventName = "WatchdogUnavailable", Level = LogLevel.Warning,
        Message = "The orphan watchdog could not start; child processes may outlive a crashed AppHost")]
    public static partial void WatchdogUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 8, EventName = "StopGracePeriodEnded", Level = LogLevel.Warning,
        Message = "{ResourceName} (process {ProcessId}) did not stop within {GracePeriod} of SIGTERM; killing its process tree")]
    public static partial void StopGracePeriodEnded(ILogger logger, string resourceName, int processId, TimeSpan gracePeriod);

    [LoggerMessage(EventId = 9, EventName = "ProcessOutlivedKill", Level = LogLevel.Error,
        Message = "{ResourceName} (process {ProcessId}) was still not reaped {Timeout} after it was killed; stopping goes on without it")]
    public static partial void ProcessOutlivedKill(ILogger logger, string resourceName, int processId, TimeSpan timeout);
}
