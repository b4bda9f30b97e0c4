namespace MlcAspire.Bench.Topology;

internal static class Executables
{
    /// <summary>Where <paramref name="name"/> is on PATH or in <c>/usr/sbin</c> (Debian's nginx, outside a user's
    /// PATH), or null when it is not installed.</summary>
    public static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/sbin")
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
