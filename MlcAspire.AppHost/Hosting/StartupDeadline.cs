using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MlcAspire.AppHost.Hosting;

/// <summary>
/// Ends a run whose router is not healthy within <c>--startup-timeout</c>, or one of whose resources stops before it
/// is, with one error line that names the cause and exit code 1. Aspire's <c>WaitFor</c> has no deadline, and an
/// engine that exits at start leaves the router Waiting for ever, which a terminal or a CI job cannot tell from a slow
/// start. Once the router is healthy the watch ends: a later crash is the router's to route around (the engine leaves
/// rotation) and the dashboard's to show.
/// </summary>
internal sealed partial class StartupDeadline(
    ResourceNotificationService notifications, IHostApplicationLifetime lifetime, ILogger<StartupDeadline> logger, StartupDeadline.Settings settings)
    : BackgroundService
{
    /// <summary>The resource whose health ends the start, and how long it may take.</summary>
    internal sealed record Settings(string RouterName, TimeSpan Timeout);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        deadline.CancelAfter(settings.Timeout);
        var healthy = notifications.WaitForResourceHealthyAsync(settings.RouterName, deadline.Token);
        var stopped = FirstStoppedAsync(deadline.Token);
        var first = await Task.WhenAny(healthy, stopped);
        await deadline.CancelAsync();
        if (stoppingToken.IsCancellationRequested || healthy.IsCompletedSuccessfully)
        {
            return;
        }

        if (first == stopped && stopped.IsCompletedSuccessfully && stopped.Result is { } resource)
        {
            StoppedDuringStart(logger, resource.Name, resource.State, settings.RouterName);
        }
        else
        {
            TimedOut(logger, settings.RouterName, (int)settings.Timeout.TotalSeconds);
        }

        Environment.ExitCode = 1;
        lifetime.StopApplication();
    }

    /// <summary>The first resource seen in a terminal state (Exited, Finished, FailedToStart), or null when cancelled.</summary>
    private async Task<(string Name, string State)?> FirstStoppedAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var update in notifications.WatchAsync(cancellationToken))
            {
                if (update.Snapshot.State?.Text is { } state && KnownResourceStates.TerminalStates.Contains(state))
                {
                    return (update.Resource.Name, state);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        return null;
    }

    [LoggerMessage(EventId = 1, EventName = "StoppedDuringStart", Level = LogLevel.Error,
        Message = "{ResourceName} stopped ({State}) before {RouterName} was healthy; its console log in the dashboard says why. Stopping.")]
    private static partial void StoppedDuringStart(ILogger logger, string resourceName, string state, string routerName);

    [LoggerMessage(EventId = 2, EventName = "StartupTimedOut", Level = LogLevel.Error,
        Message = "{RouterName} was not healthy within --startup-timeout ({TimeoutSeconds} s); the dashboard shows which resource it waits for. Stopping.")]
    private static partial void TimedOut(ILogger logger, string routerName, int timeoutSeconds);
}

/// <summary>Registers <see cref="StartupDeadline"/> in run mode (a publisher starts nothing).</summary>
internal static class StartupDeadlineExtensions
{
    public static IDistributedApplicationBuilder AddStartupDeadline(this IDistributedApplicationBuilder builder, string routerName, TimeSpan timeout)
    {
        if (builder.ExecutionContext.IsRunMode)
        {
            builder.Services.AddSingleton(new StartupDeadline.Settings(routerName, timeout));
            builder.Services.AddHostedService<StartupDeadline>();
        }

        return builder;
    }
}
