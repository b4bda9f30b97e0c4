using System.Runtime.InteropServices;

namespace MlcAspire.Bench.Measurement;

/// <summary>Another process's CPU time in nanoseconds, from its POSIX CPU-time clock (every thread, the exited ones
/// too). <c>/proc/&lt;pid&gt;/stat</c> counts in 10 ms ticks, too coarse for a proxy that spends 0.05 ms a request in
/// a slice of a few hundred requests.</summary>
internal static partial class ProcessCpuClock
{
    // Linux's clock id for a process's CPU clock: MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED) in
    // include/linux/posix-timers.h, what clock_getcpuclockid(3) returns. Reading it needs no permission.
    private const int CpuClockSched = 2;

    // PID_MAX_LIMIT on 64-bit Linux. A larger number is no process, and (~pid << 3) would overflow into another clock
    // (int.MaxValue becomes 2, the calling process's own CPU clock).
    private const int PidMaxLimit = 4 * 1024 * 1024;

    /// <summary>The process's CPU time in seconds, or null when it is gone (or the OS has no such clock).</summary>
    public static double? TryReadSeconds(int pid)
    {
        if (!OperatingSystem.IsLinux() || pid is <= 0 or > PidMaxLimit)
        {
            return null;
        }

        var clockId = (~pid << 3) | CpuClockSched;
        return ClockGetTime(clockId, out var time) == 0 ? time.Seconds + time.Nanoseconds / 1e9 : null;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clockId, out Timespec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
