namespace MlcAspire.Bench.Measurement;

/// <summary>CPU time, memory and context switches of a process (with its direct children), read from /proc.</summary>
/// <param name="ContextSwitches">Voluntary and involuntary switches of its live threads (an exited thread's are lost).</param>
internal readonly record struct ProcessSnapshot(double CpuSeconds, long RssBytes, long PeakRssBytes, long ContextSwitches)
{
    // USER_HZ: /proc reports CPU times in these units on every Linux architecture .NET runs on.
    private const double ClockTicksPerSecond = 100;

    /// <summary>Reads the process and its children (nginx's master and its workers); null when the process is gone.</summary>
    public static ProcessSnapshot? TryRead(int pid)
    {
        if (TryReadOne(pid) is not { } total)
        {
            return null;
        }

        foreach (var child in Children(pid))
        {
            if (TryReadOne(child) is { } c)
            {
                total = new(total.CpuSeconds + c.CpuSeconds, total.RssBytes + c.RssBytes, total.PeakRssBytes + c.PeakRssBytes,
                    total.ContextSwitches + c.ContextSwitches);
            }
        }

        return total;
    }

    /// <summary>The process and its direct children (nginx's workers are the master's children).</summary>
    public static int[] Tree(int pid) => [pid, .. Children(pid)];

    /// <summary>CPU time from the process's CPU clock, else from <c>/proc/&lt;pid&gt;/stat</c> (utime, stime);
    /// memory from <c>/proc/&lt;pid&gt;/status</c> (VmRSS, VmHWM); switches from every thread's status.</summary>
    private static ProcessSnapshot? TryReadOne(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var cpuSeconds = ProcessCpuClock.TryReadSeconds(pid) ?? (long.Parse(fields[11]) + long.Parse(fields[12])) / ClockTicksPerSecond;
            long rss = 0, hwm = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = ParseKiloBytes(line);
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    hwm = ParseKiloBytes(line);
                }
            }

            return new(cpuSeconds, rss, hwm, ContextSwitchesOf(pid));
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static long ContextSwitchesOf(int pid)
    {
        long switches = 0;
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                {
                    if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal)
                        || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                    {
                        switches += long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim());
                    }
                }
            }
            catch (IOException)
            {
                // The thread exited between the listing and the read.
            }
        }

        return switches;
    }

    private static IEnumerable<int> Children(int pid)
    {
        var path = $"/proc/{pid}/task/{pid}/children";
        if (!File.Exists(path))
        {
            return [];
        }

        try
        {
            return File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        }
        catch (IOException)
        {
            return [];
        }
    }

    private static long ParseKiloBytes(string line) =>
        long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim()) * 1024;
}
