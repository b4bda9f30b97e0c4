namespace MlcAspire.Bench.Presets;

internal interface IPreset
{
    string Name { get; }

    /// <summary>The largest number of requests in flight at once, to size the HTTP connection pool.</summary>
    int MaxConcurrency(BenchOptions options);

    /// <summary>The routers this preset measures (the engines are always two: engine 0 and engine 1).</summary>
    IReadOnlyList<RouterSpec> Routers { get; }

    bool WithNginx { get; }

    Task RunAsync(PresetContext context, CancellationToken cancellationToken);
}
