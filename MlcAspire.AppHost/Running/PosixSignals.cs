using System.Runtime.InteropServices;

namespace MlcAspire.AppHost.Running;

/// <summary>The signals .NET's <see cref="System.Diagnostics.Process"/> cannot send: SIGTERM, and SIGKILL to a process group.</summary>
internal static class PosixSignals
{
    private const int SigKill = 9;
    private const int SigTerm = 15;

    /// <summary>Asks one process to stop (SIGTERM); false if it is gone.</summary>
    public static bool Terminate(int processId) => Kill(processId, SigTerm) == 0;

    /// <summary>Kills every process still in the group, including descendants that were reparented away from its leader.</summary>
    public static bool KillGroup(int processGroupId) => Kill(-processGroupId, SigKill) == 0;

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int processId, int signal);
}
