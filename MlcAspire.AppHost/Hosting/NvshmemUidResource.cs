namespace MlcAspire.AppHost.Hosting;

/// <summary>
/// The helper process of an NVSHMEM world (mlc-protocol.md §1.5): it creates the uid, prints it as one JSON array line and keeps
/// NVSHMEM's bootstrap root alive until its stdin closes. A custom resource, not an executable, because DCP gives an
/// executable no open stdin (the helper would exit at once): the AppHost starts the process itself and holds its stdin,
/// so the helper lives exactly as long as the AppHost, even one killed with SIGKILL.
/// </summary>
internal sealed class NvshmemUidResource(string name, string command, IReadOnlyList<string> args, string workingDirectory)
    : Resource(name), IResourceWithWaitSupport
{
    private readonly TaskCompletionSource<IReadOnlyList<long>> _uid = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Command { get; } = command;

    public IReadOnlyList<string> Args { get; } = args;

    public string WorkingDirectory { get; } = workingDirectory;

    /// <summary>The world's uid, once the helper printed it.</summary>
    public Task<IReadOnlyList<long>> Uid => _uid.Task;

    internal void SetUid(IReadOnlyList<long> uid) => _uid.TrySetResult(uid);

    internal void SetFailed(Exception error) => _uid.TrySetException(error);
}
