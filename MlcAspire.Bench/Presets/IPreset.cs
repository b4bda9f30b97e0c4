namespace MlcAspire.Bench.Presets;

internal interface IPreset
{
    string Name { get; }

    /// <summary>The largest number of requests in flight at once, to size the HTTP connection pool.</summary>
    int MaxConcurrency(BenchOptions options);

    /// <summary>Starts the topologies it needs through <paramref name="context"/> and runs its experiments.</summary>
    Task RunAsync(PresetContext context, CancellationToken cancellationToken);
}
