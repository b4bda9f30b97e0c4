namespace MlcAspire.AppHost.Planning;

/// <summary>
/// The process that creates the NVSHMEM uid: it prints the uid as one JSON array line, then keeps the bootstrap
/// root alive until its stdin closes. It must outlive every engine's init (mlc-protocol.md §1.5).
/// </summary>
internal sealed record NvshmemHelperPlan(string Command, IReadOnlyList<string> Args)
{
    public const string Name = "nvshmem-uid";
}
