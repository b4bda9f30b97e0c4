using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace MlcAspire.Tests.EndToEnd;

/// <summary>Linux process facts the end-to-end tests assert on: descendants, liveness, signals.</summary>
internal static class ProcessTree
{
    public const int SigInt = 2;
    public const int SigKill = 9;
    public const int SigTerm = 15;

    /// <summary>
    /// Whether this process ignores <paramref name="signal"/> (<c>SigIgn</c> in /proc/self/status). A disposition of
    /// "ignore" is inherited: a background job of a non-interactive shell ignores SIGINT, and so do its children.
    /// </summary>
    public static bool IsIgnoredHere(int signal)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        var mask = ulong.Parse(line["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return (mask & (1UL << (signal - 1))) != 0;
    }

    /// <summary>Every descendant of <paramref name="processId"/>, read from /proc's children lists.</summary>
    public static IReadOnlyList<int> Descendants(int processId)
    {
        var result = new List<int>();
        var pending = new Stack<int>([processId]);
        while (pending.TryPop(out var pid))
        {
            foreach (var child in Children(pid))
            {
                result.Add(child);
                pending.Push(child);
            }
        }

        return result;
    }

    /// <summary>The command a process runs now (/proc/[pid]/comm), which changes at exec.</summary>
    public static string CommandName(int processId) =>
        File.ReadAllText($"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/comm").TrimEnd('\n');

    /// <summary>The process group and session of a process (fields 5 and 6 of /proc/[pid]/stat).</summary>
    public static (int Group, int Session) GroupAndSession(int processId)
    {
        var stat = File.ReadAllText($"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (int.Parse(fields[2], CultureInfo.InvariantCulture), int.Parse(fields[3], CultureInfo.InvariantCulture));
    }

    public static bool IsAlive(int processId)
    {
        // A zombie (state Z) has ended; only its parent has not reaped it yet.
        var stat = $"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/stat";
        return File.Exists(stat) && ReadState(stat) != 'Z';
    }

    /// <summary>Waits until the process has ended, whoever its parent is.</summary>
    public static async Task WaitForExitAsync(int processId, CancellationToken cancellationToken)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
    }

    public static void Signal(int processId, int signal) => Assert.Equal(0, Kill(processId, signal));

    private static IEnumerable<int> Children(int processId)
    {
        var tasks = $"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/task";
        if (!Directory.Exists(tasks))
        {
            return [];
        }

        return Directory.GetDirectories(tasks)
            .Select(task => Path.Combine(task, "children"))
            .Where(File.Exists)
            .SelectMany(file => File.ReadAllText(file).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(pid => int.Parse(pid, CultureInfo.InvariantCulture))
            .Distinct();
    }

    private static char ReadState(string statPath)
    {
        try
        {
            var stat = File.ReadAllText(statPath);
            return stat[(stat.LastIndexOf(')') + 2)..][0];
        }
        catch (IOException)
        {
            return 'Z';
        }
    }

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int processId, int signal);
}
