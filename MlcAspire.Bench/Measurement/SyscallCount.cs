namespace MlcAspire.Bench.Measurement;

/// <summary>A proxy's syscalls (every process of it, every thread) over a slice of <paramref name="Requests"/> requests.</summary>
internal sealed record SyscallCount(int Requests, long Syscalls)
{
    public double PerRequest => Requests > 0 ? (double)Syscalls / Requests : double.NaN;
}
