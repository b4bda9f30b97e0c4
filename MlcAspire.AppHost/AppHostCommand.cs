using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using MlcAspire.AppHost.Planning;
using MlcAspire.AppHost.Publishing;
using MlcAspire.AppHost.Running;
using MlcAspire.AppHost.Topology;

namespace MlcAspire.AppHost;

/// <summary>The AppHost's steps: read and validate the topology, build the plan, then run it or publish it.</summary>
internal static class AppHostCommand
{
    /// <summary>The exit code of an invalid topology (argparse's usage-error code, which MLC's CLI uses).</summary>
    public const int UsageError = 2;

    public static async Task<int> RunAsync(string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .Build();

        var read = TopologyReader.Read(args, configuration);
        var error = read.Error
            ?? TopologyValidator.Validate(read.Options!.Topology, GpuInventory.Count())
            ?? ValidatePublishing(read.Options);
        if (error is not null)
        {
            await Console.Error.WriteLineAsync($"error: {error}");
            return UsageError;
        }

        var options = read.Options!;
        var paths = ProgramPaths.FromBuild();
        var workingDirectory = ModelLocation.WorkingDirectory(options.Topology.Model, Environment.CurrentDirectory, paths.RepositoryRoot);
        var plan = PlanBuilder.Build(options.Topology, paths, workingDirectory);

        if (options.Publisher is not null)
        {
            await ManifestWriter.WriteAsync(plan, options.Topology.EngineKind, paths, options.OutputPath!, CancellationToken.None);
            foreach (var warning in ManifestWriter.Warnings(plan))
            {
                await Console.Error.WriteLineAsync($"warning: {warning}");
            }

            await Console.Out.WriteLineAsync($"Wrote the deployment manifest to {Path.GetFullPath(options.OutputPath!)}");
            return 0;
        }

        using var loggerFactory = LoggerFactory.Create(logging => logging
            .AddConfiguration(configuration.GetSection("Logging"))
            .AddSimpleConsole(console => console.SingleLine = true));
        return await RunAsync(plan, options, paths, loggerFactory.CreateLogger<AppRunner>());
    }

    private static string? ValidatePublishing(AppHostOptions options) => options switch
    {
        { Publisher: null } => null,
        { Publisher: not AppHostOptions.ManifestPublisher } => $"--publisher: only '{AppHostOptions.ManifestPublisher}' is supported, got '{options.Publisher}'",
        { OutputPath: null } => "--output-path: the manifest publisher needs a file to write",
        _ => null,
    };

    private static async Task<int> RunAsync(AppPlan plan, AppHostOptions options, ProgramPaths paths, ILogger<AppRunner> logger)
    {
        var output = new ResourceOutput(Console.Out);
        await using var runner = new AppRunner(plan, new RunnerOptions { PhaseTimeout = options.StartupTimeout }, output, paths.AppHostDll, logger);
        using var shutdown = new CancellationTokenSource();
        using var killNow = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;

            // The first signal stops in order, with grace periods; a second one (Ctrl+C again) kills what is left.
            if (shutdown.IsCancellationRequested)
            {
                killNow.Cancel();
                return;
            }

            runner.RequestStop();
            shutdown.Cancel();
        }

        // The children run in process groups of their own, so these reach the AppHost alone; a closed terminal
        // (SIGHUP) stops the deployment like Ctrl+C instead of leaving it to the orphan watchdog.
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var hangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Stop);
        try
        {
            await runner.StartAsync(shutdown.Token);
            output.Write(runner.FormatTable());
            await Task.Delay(Timeout.Infinite, shutdown.Token);
            return 0;
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            return 0;
        }
        catch (ResourceStartException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}");
            return 1;
        }
        finally
        {
            // Never throws: a stop that overruns its grace periods kills what is left and goes on.
            await runner.StopAsync(killNow.Token);
            output.Write(runner.FormatTable());
        }
    }
}
