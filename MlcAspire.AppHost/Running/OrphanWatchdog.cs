using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace MlcAspire.AppHost.Running;

/// <summary>
/// Makes sure no child outlives the AppHost, even when the AppHost is killed outright.
/// </summary>
/// <remarks>
/// .NET's Process cannot set <c>prctl(PR_SET_PDEATHSIG)</c> in the child, and a crashed (SIGKILLed) process
/// runs no cleanup code. What the kernel does guarantee is that a dead process's pipes close. So the AppHost
/// starts this small process (its own dll, <c>--watchdog</c>) with a pipe on its stdin and writes
/// <c>+pid</c> / <c>-pid</c> lines as children start and end. When stdin reaches end of file, because the
/// AppHost finished or died, the watchdog kills the process tree and process group of every pid still listed.
/// Like every child it runs in a session of its own (<see cref="ManagedProcess"/>), so a closed terminal's
/// SIGHUP does not end it together with the AppHost; it also ignores SIGINT and SIGTERM, because a service
/// manager may signal every process of the AppHost, and it must still be there if the AppHost dies while
/// stopping. It ends with its pipe.
/// </remarks>
internal sealed class OrphanWatchdog : IDisposable
{
    public const string Flag = "--watchdog";

    private readonly ManagedProcess _process;
    private readonly Lock _lock = new();
    private readonly StreamWriter _input;

    private OrphanWatchdog(ManagedProcess process, StreamWriter input)
    {
        _process = process;
        _input = input;
    }

    public static OrphanWatchdog Start(string appHostDll, ResourceOutput output)
    {
        var process = ManagedProcess.Start("watchdog", DotnetHost.Command, [appHostDll, Flag], new Dictionary<string, string>(), Environment.CurrentDirectory, output, ownSession: true);
        return new OrphanWatchdog(process, process.StandardInput);
    }

    public void Track(int processId) => Send($"+{processId.ToString(CultureInfo.InvariantCulture)}");

    public void Forget(int processId) => Send($"-{processId.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>Closes the pipe, which ends the watchdog after it has killed whatever is still listed.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            try
            {
                _input.Dispose();
            }
            catch (IOException)
            {
                // The watchdog is already gone (e.g. a signal to the whole process group): nothing to tell it.
            }
        }

        _process.Dispose();
    }

    /// <summary>The watchdog process itself: collect pids until end of file, then kill their trees.</summary>
    public static async Task<int> RunAsync(TextReader input, CancellationToken cancellationToken)
    {
        using var ignoreInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => context.Cancel = true);
        using var ignoreTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => context.Cancel = true);
        var tracked = new HashSet<int>();
        while (await input.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length > 1 && int.TryParse(line.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                _ = line[0] == '+' ? tracked.Add(pid) : tracked.Remove(pid);
            }
        }

        foreach (var pid in tracked)
        {
            try
            {
                using var orphan = Process.GetProcessById(pid);
                orphan.Kill(entireProcessTree: true);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                // Already gone.
            }

            // Each child leads its own process group: this also reaches descendants reparented away from it.
            if (!OperatingSystem.IsWindows())
            {
                PosixSignals.KillGroup(pid);
            }
        }

        return 0;
    }

    private void Send(string line)
    {
        lock (_lock)
        {
            try
            {
                _input.WriteLine(line);
                _input.Flush();
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                // The watchdog is gone (or stopped): there is nobody left to tell.
            }
        }
    }
}
