using System.ComponentModel;
using System.Diagnostics;

namespace MlcAspire.AppHost.Running;

/// <summary>
/// One child process: started in a process group of its own with its output relayed line by line, its stdin held
/// open, its exit observed.
/// </summary>
/// <remarks>
/// A child of a terminal's process group gets the terminal's SIGINT (Ctrl+C) at the same moment as the AppHost, so the
/// engines would die while the router still drains into them, and a child that ends before the AppHost's handler runs
/// would look failed. .NET's Process cannot call <c>setsid</c>/<c>setpgid</c> in the child, so the command runs through
/// util-linux <c>setsid</c>, which makes the child lead a new session and process group and then execs the command in
/// the same process (it forks only when its caller already leads a group, which a freshly forked child never does), so
/// the process id stays the command's. Only the AppHost then decides when a child stops. The group also lets a stop
/// reach every descendant, even one that was reparented away from the child. Where <c>setsid</c> is missing, or the
/// caller asks for no session of its own (<see cref="RunnerOptions.OwnSessions"/>), the child starts directly.
/// </remarks>
internal sealed class ManagedProcess : IDisposable
{
    /// <summary>How long the output may still drain after the exit; a descendant outside the group can hold the pipes open.</summary>
    private static readonly TimeSpan s_outputDrainBound = TimeSpan.FromSeconds(2);

    private static readonly string? s_setsid = OperatingSystem.IsLinux() ? FindExecutable("setsid") : null;

    private readonly Process _process;
    private readonly bool _ownGroup;
    private readonly TaskCompletionSource<int> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ManagedProcess(Process process, bool ownGroup, Task exited)
    {
        _process = process;
        _ownGroup = ownGroup;
        Id = process.Id;
        _ = ObserveExitAsync(exited);
    }

    /// <summary>The process id, still known once the process has ended and been disposed.</summary>
    public int Id { get; }

    /// <summary>
    /// Completes with the exit code once the process has exited (not when its output pipes close: an escaped descendant
    /// may hold them open), after what was left of its process group was killed and its output drained (bounded).
    /// </summary>
    public Task<int> Completion => _exit.Task;

    public static ManagedProcess Start(
        string name,
        string command,
        IReadOnlyList<string> args,
        IReadOnlyDictionary<string, string> environment,
        string workingDirectory,
        ResourceOutput output,
        bool ownSession,
        Action<string>? onStandardOutput = null)
    {
        var executable = DotnetHost.Resolve(command);
        var setsid = ownSession ? s_setsid : null;
        if (setsid is not null)
        {
            // setsid reports a command it cannot run only as its own exit code; resolve it here to say so at once.
            executable = FindExecutable(executable)
                ?? throw new ResourceStartException($"{name} could not start '{executable}': no such executable file (PATH searched)");
        }

        var startInfo = new ProcessStartInfo(setsid ?? executable)
        {
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,

            // A pipe nobody writes: the NVSHMEM helper serves until it closes, and no child reads the console.
            RedirectStandardInput = true,
        };
        if (setsid is not null)
        {
            startInfo.ArgumentList.Add(executable);
        }

        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            startInfo.Environment[key] = value;
        }

        // The Exited event reports the exit itself; WaitForExitAsync would also wait for the output pipes to close.
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        process.Exited += (_, _) => exited.TrySetResult();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                onStandardOutput?.Invoke(line);
                output.WriteLine(name, line);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                output.WriteLine(name, line);
            }
        };

        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            process.Dispose();
            throw new ResourceStartException($"{name} could not start '{executable}': {ex.Message}");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ManagedProcess(process, setsid is not null, exited.Task);
    }

    /// <summary>Closes the child's stdin: the NVSHMEM helper's signal to stop serving.</summary>
    public void CloseStandardInput() => _process.StandardInput.Close();

    public StreamWriter StandardInput => _process.StandardInput;

    /// <summary>Asks the process to stop (SIGTERM), so that it can finish what it does (the router drains its streams).</summary>
    public void Terminate()
    {
        if (Completion.IsCompleted)
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            KillTree();
            return;
        }

        PosixSignals.Terminate(Id);
    }

    /// <summary>
    /// Kills the process and every descendant. A whole-tree kill is what guarantees that an engine's worker
    /// processes (MLC's disco workers, one per GPU) never outlive it; the group kill also reaches descendants that
    /// were reparented away from it.
    /// </summary>
    public void KillTree()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It has already exited: nothing is left to kill.
        }

        KillGroup();
    }

    public void Dispose() => _process.Dispose();

    private void KillGroup()
    {
        if (_ownGroup)
        {
            PosixSignals.KillGroup(Id);
        }
    }

    private async Task ObserveExitAsync(Task exited)
    {
        await exited.ConfigureAwait(false);
        var exitCode = _process.ExitCode;

        // What the process left in its group (a worker it did not reap, a daemonized descendant) ends with it; that
        // also closes the pipes those held, so the output below drains.
        KillGroup();
        using var drain = new CancellationTokenSource(s_outputDrainBound);
        try
        {
            await _process.WaitForExitAsync(drain.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (drain.IsCancellationRequested)
        {
            // A descendant outside the group still holds the pipes: the exit is what counts.
        }

        _exit.TrySetResult(exitCode);
    }

    private static string? FindExecutable(string command)
    {
        if (command.Contains('/', StringComparison.Ordinal))
        {
            return IsExecutable(command) ? Path.GetFullPath(command) : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, command))
            .FirstOrDefault(IsExecutable);
    }

    private static bool IsExecutable(string path) =>
        File.Exists(path)
        && !OperatingSystem.IsWindows()
        && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
