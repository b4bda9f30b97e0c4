namespace MlcAspire.Bench.Topology;

/// <summary>Engines and routers that answer, however they were started.</summary>
/// <param name="Engines">Engine base URLs by index; engine i owns NVSHMEM PE i (one GPU each).</param>
/// <param name="Routers">Router name → base URL and process id (null when attached without one).</param>
/// <param name="Owned">What stops the started processes, in start order; disposed in reverse.</param>
/// <param name="EnginePids">The engines' process ids by index, when the bench started them.</param>
/// <param name="ChunkTimeLogs">The engines' SSE send-time logs, when they keep them (<see cref="EngineSettings.RecordChunkTimes"/>).</param>
internal sealed record RunningTopology(
    string Model,
    IReadOnlyList<Uri> Engines,
    IReadOnlyDictionary<string, (Uri Url, int? Pid)> Routers,
    IReadOnlyList<IAsyncDisposable> Owned,
    IReadOnlyList<string>? ChunkTimeLogs = null,
    IReadOnlyList<int>? EnginePids = null) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        // What started last stops first: the routers before the engines they use.
        for (var i = Owned.Count - 1; i >= 0; i--)
        {
            await Owned[i].DisposeAsync();
        }
    }
}
