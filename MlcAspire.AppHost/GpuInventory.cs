namespace MlcAspire.AppHost;

/// <summary>How many NVIDIA GPUs this machine has, where the driver says so.</summary>
internal static class GpuInventory
{
    // The NVIDIA driver lists one folder per GPU here; without a driver the count cannot be read.
    private const string DriverGpuFolder = "/proc/driver/nvidia/gpus";

    public static int? Count() =>
        Directory.Exists(DriverGpuFolder) ? Directory.GetDirectories(DriverGpuFolder).Length : null;
}
