namespace MlcAspire.Bench.Topology;

/// <summary>
/// Which scheduling group each measured process runs in. With Linux's autogroup scheduling on, every session is a group
/// and busy groups share the CPU equally, whatever their number of threads or processes: a proxy that shares the load
/// generator's session gets half of what a proxy in a session of its own gets (docs/bench.md, "Sessions").
/// </summary>
internal static class SchedulingGroups
{
    /// <summary>The name under which <see cref="Describe"/> expects the bench's own process (the load generator).</summary>
    public const string BenchName = "bench";

    private const string AutogroupSwitch = "/proc/sys/kernel/sched_autogroup_enabled";

    /// <summary>A report note: autogroup on or off, each process's group, and the proxies that share the bench's.</summary>
    public static string Describe(IReadOnlyList<(string Name, int Pid)> processes)
    {
        var enabled = Read(AutogroupSwitch) == "1";
        var groups = processes.Select(p => (p.Name, Group: Read($"/proc/{p.Pid}/autogroup")?.Split(' ')[0].TrimStart('/') ?? "gone")).ToArray();
        var bench = Read($"/proc/{Environment.ProcessId}/autogroup")?.Split(' ')[0].TrimStart('/');
        var sharing = groups.Where(g => g.Group == bench && g.Name != BenchName).Select(g => g.Name).ToArray();
        return $"scheduling: autogroup {(enabled ? "on" : "off")}; " +
               string.Join(", ", groups.GroupBy(g => g.Group).Select(g => $"{string.Join('+', g.Select(p => p.Name))} in {g.Key}")) +
               (enabled && sharing.Length > 0 ? $"; {string.Join(", ", sharing)} share the load generator's group: NOT equal terms" : "");
    }

    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }
}
