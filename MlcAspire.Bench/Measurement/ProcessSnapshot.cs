namespace MlcAspire.Bench.Measurement;

/// <summary>CPU time and memory of a process (with its direct children), read from /proc.</summary>
internal readonly record struct ProcessSnapshot(double CpuSeconds, long RssBytes, long PeakRssBytes)
{
    // USER_HZ: /proc reports CPU times in these units on every Linux architecture .NET runs on.
    private const double ClockTicksPerSecond = 100;

    /// <summary>Reads <c>/proc/&lt;pid&gt;/stat</c> (utime, stime) and <c>/proc/&lt;pid&gt;/status</c> (VmRSS, VmHWM)
    /// for the process and its children (nginx's workers); null when the process is gone.</summary>
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
                total = new(total.CpuSeconds + c.CpuSeconds, total.RssBytes + c.RssBytes, total.PeakRssBytes + c.PeakRssBytes);
            }
        }

        return total;
    }

    private static ProcessSnapshot? TryReadOne(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var cpuTicks = long.Parse(fields[11]) + long.Parse(fields[12]);
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

            return new(cpuTicks / ClockTicksPerSecond, rss, hwm);
        }
        catch (IOException)
        {
            return null;
        }
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
