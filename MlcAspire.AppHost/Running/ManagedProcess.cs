using System.ComponentModel;
using System.Diagnostics;

namespace MlcAspire.AppHost.Running;

/// <summary>One child process: started with its output relayed line by line, its stdin held open, its exit observed.</summary>
internal sealed class ManagedProcess : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<int> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ManagedProcess(Process process)
    {
        _process = process;
        Id = process.Id;
    }

    /// <summary>The process id, still known once the process has ended and been disposed.</summary>
    public int Id { get; }

    /// <summary>Completes with the exit code once the process has ended and its output is drained.</summary>
    public Task<int> Completion => _exit.Task;

    public static ManagedProcess Start(
        string name,
        string command,
        IReadOnlyList<string> args,
        IReadOnlyDictionary<string, string> environment,
        string workingDirectory,
        ResourceOutput output,
        Action<string>? onStandardOutput = null)
    {
        var startInfo = new ProcessStartInfo(DotnetHost.Resolve(command))
        {
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,

            // A pipe nobody writes: the NVSHMEM helper serves until it closes, and no child reads the console.
            RedirectStandardInput = true,
        };
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            startInfo.Environment[key] = value;
        }

        var process = new Process { StartInfo = startInfo };
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
            throw new ResourceStartException($"{name} could not start '{startInfo.FileName}': {ex.Message}");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var managed = new ManagedProcess(process);
        _ = managed.ObserveExitAsync();
        return managed;
    }

    /// <summary>Closes the child's stdin: the NVSHMEM helper's signal to stop serving.</summary>
    public void CloseStandardInput() => _process.StandardInput.Close();

    public StreamWriter StandardInput => _process.StandardInput;

    /// <summary>
    /// Kills the process and every descendant. A whole-tree kill is what guarantees that an engine's worker
    /// processes (MLC's disco workers, one per GPU) never outlive it; engines keep no state worth a graceful stop.
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
    }

    public void Dispose() => _process.Dispose();

    private async Task ObserveExitAsync()
    {
        // WaitForExitAsync also waits for the redirected output to reach end of file.
        await _process.WaitForExitAsync().ConfigureAwait(false);
        _exit.TrySetResult(_process.ExitCode);
    }
}
