using System.Globalization;

namespace MlcAspire.Bench.Measurement;

/// <summary>
/// Counts the syscalls of a set of processes with <c>perf stat -e raw_syscalls:sys_enter</c> while a slice runs. Perf
/// counts at the tracepoint, without ptrace, so the counted proxy runs at nearly its own speed (<c>strace -c</c> stops
/// it at every call); still, the bench counts in a slice of its own, never in a measured one.
/// </summary>
internal sealed class SyscallCounter : IAsyncDisposable
{
    public const string Event = "raw_syscalls:sys_enter";

    private static readonly TimeSpan AttachTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);

    private readonly ChildProcess _perf;
    private readonly string _output;

    private SyscallCounter(ChildProcess perf, string output, string logPath)
    {
        _perf = perf;
        _output = output;
        LogPath = logPath;
    }

    /// <summary>perf's own output (why it could not attach, when it could not).</summary>
    public string LogPath { get; }

    /// <summary>Attaches perf to <paramref name="pids"/> (and every thread of theirs); returns once it counts, or null
    /// and why not (perf not installed, not permitted, the process gone).</summary>
    public static async Task<(SyscallCounter? Counter, string? Why)> StartAsync(
        IReadOnlyList<int> pids, string workDirectory, string name, CancellationToken cancellationToken)
    {
        if (Executables.Find("perf") is not { } executable)
        {
            return (null, "perf is not installed (apt-get install linux-perf)");
        }

        var output = Path.Combine(workDirectory, name + ".perf-stat.csv");
        var logPath = Path.Combine(workDirectory, name + ".log");
        // The workload only bounds how long perf may stay attached; StopAsync ends it once the slice is over.
        var perf = ChildProcess.Start(name, executable,
            ["stat", "-x", ",", "-e", Event, "-p", string.Join(',', pids), "-o", output, "--", "sleep", "600"],
            new Dictionary<string, string>(), workDirectory);
        var counter = new SyscallCounter(perf, output, logPath);
        // perf attaches to the processes first, then lets its workload exec and enables the counters at once
        // (tools/perf/builtin-stat.c: evlist__start_workload, then enable_counters): once `sleep` runs, perf counts.
        var deadline = Stopwatch.GetTimestamp() + (long)(AttachTimeout.TotalSeconds * Stopwatch.Frequency);
        while (counter.Workload() is null)
        {
            if (perf.HasExited || Stopwatch.GetTimestamp() > deadline)
            {
                await counter.DisposeAsync();
                return (null, $"perf could not attach to {string.Join(',', pids)} (not permitted? see {logPath})");
            }

            await Task.Delay(PollInterval, cancellationToken);
        }

        return (counter, null);
    }

    /// <summary>Ends the count; the number of syscalls, or null when perf printed none.</summary>
    public async Task<long?> StopAsync(CancellationToken cancellationToken)
    {
        if (Workload() is { } sleep)
        {
            try
            {
                using var process = Process.GetProcessById(sleep);
                process.Kill();
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                // It ended on its own: perf is finishing already.
            }
        }

        if (!await _perf.WaitForExitAsync(AttachTimeout, cancellationToken) || !File.Exists(_output))
        {
            return null;
        }

        return Parse(await File.ReadAllLinesAsync(_output, cancellationToken));
    }

    /// <summary>The count from perf's CSV output (<c>-x ,</c>: value, unit, event, ...), or null when the event was not
    /// counted (<c>&lt;not counted&gt;</c>, <c>&lt;not supported&gt;</c>) or is absent.</summary>
    internal static long? Parse(IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            var fields = line.Split(',');
            if (fields.Length > 2 && fields[2] == Event)
            {
                return long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : null;
            }
        }

        return null;
    }

    /// <summary>perf's <c>sleep</c> child once it has exec'd (before that, the forked child is still named perf).</summary>
    private int? Workload()
    {
        foreach (var child in ProcessSnapshot.Tree(_perf.Id).Skip(1))
        {
            try
            {
                if (File.ReadAllText($"/proc/{child}/comm").Trim() == "sleep")
                {
                    return child;
                }
            }
            catch (IOException)
            {
                // Gone already.
            }
        }

        return null;
    }

    public ValueTask DisposeAsync() => _perf.DisposeAsync();
}
