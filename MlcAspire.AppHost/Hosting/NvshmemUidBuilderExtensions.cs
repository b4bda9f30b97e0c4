using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MlcAspire.AppHost.Hosting;

/// <summary>Adds the uid helper of an engines' NVSHMEM world (<see cref="NvshmemUidResource"/>).</summary>
internal static class NvshmemUidBuilderExtensions
{
    public const string ResourceType = "NvshmemUid";

    /// <summary>
    /// Asks TVM for the NVSHMEM unique id exactly as MLC's router does (mlc-protocol.md §1.5), prints it as one JSON line, and keeps
    /// this process (which hosts NVSHMEM's bootstrap root thread) alive until stdin closes.
    /// </summary>
    public const string MlcNvshmemUidScript =
        "import json, sys; import tvm; " +
        "uid = [int(x) for x in tvm.get_global_func('runtime.disco.nvshmem.init_nvshmem_uid')()]; " +
        "print(json.dumps(uid), flush=True); sys.stdin.read()";

    public static IResourceBuilder<NvshmemUidResource> AddNvshmemUid(
        this IDistributedApplicationBuilder builder, string name, string command, IReadOnlyList<string> args, string workingDirectory) =>
        builder.AddResource(new NvshmemUidResource(name, command, args, workingDirectory))
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = ResourceType,
                State = KnownResourceStates.NotStarted,
                Properties = [new(CustomResourceKnownProperties.Source, command)],
            })
            .WithIconName("Key")
            .ExcludeFromManifest()
            .OnInitializeResource(StartAsync);

    private static async Task StartAsync(NvshmemUidResource resource, InitializeResourceEvent initialize, CancellationToken cancellationToken)
    {
        var notifications = initialize.Notifications;
        var logger = initialize.Logger;
        await notifications.PublishUpdateAsync(resource, s => s with { State = KnownResourceStates.Starting });
        var start = new ProcessStartInfo(resource.Command)
        {
            WorkingDirectory = resource.WorkingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in resource.Args)
        {
            start.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{resource.Command} did not start.");
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            logger.LogError("{Command} could not start: {Message}", resource.Command, ex.Message);
            resource.SetFailed(ex);
            await notifications.PublishUpdateAsync(resource, s => s with { State = KnownResourceStates.FailedToStart });
            return;
        }

        // Closing stdin is how the helper is told to stop; the AppHost's own exit closes it too.
        var lifetime = initialize.Services.GetRequiredService<IHostApplicationLifetime>();
        lifetime.ApplicationStopping.Register(() => process.StandardInput.Close());
        _ = ForwardAsync(process.StandardError, logger, isError: true);

        var line = await process.StandardOutput.ReadLineAsync(cancellationToken);
        if (line is null || JsonSerializer.Deserialize<long[]>(line) is not { Length: > 0 } uid)
        {
            await process.WaitForExitAsync(cancellationToken);
            var error = new InvalidOperationException($"The NVSHMEM uid helper printed no uid (exit code {process.ExitCode}).");
            logger.LogError("{Message}", error.Message);
            resource.SetFailed(error);
            await notifications.PublishUpdateAsync(resource, s => s with { State = KnownResourceStates.FailedToStart, ExitCode = process.ExitCode });
            return;
        }

        logger.LogInformation("NVSHMEM uid: {Uid}", line);
        resource.SetUid(uid);
        _ = ForwardAsync(process.StandardOutput, logger, isError: false);
        await notifications.PublishUpdateAsync(resource, s => s with
        {
            State = KnownResourceStates.Running,
            StartTimeStamp = DateTime.UtcNow,
            Properties = [.. s.Properties, new("executable.pid", process.Id) { DisplayName = "Process ID" }],
        });

        await process.WaitForExitAsync(CancellationToken.None);
        await notifications.PublishUpdateAsync(resource, s => s with
        {
            State = KnownResourceStates.Exited,
            StopTimeStamp = DateTime.UtcNow,
            ExitCode = process.ExitCode,
        });
        process.Dispose();
    }

    private static async Task ForwardAsync(StreamReader output, ILogger logger, bool isError)
    {
        while (await output.ReadLineAsync() is { } line)
        {
            if (isError)
            {
                logger.LogWarning("{Line}", line);
            }
            else
            {
                logger.LogInformation("{Line}", line);
            }
        }
    }
}
