namespace MlcAspire.Bench.Topology;

/// <summary>How a preset wants its timing-mode engines: schedule keys written into a copy of the timing model's
/// <c>model_config</c> (e.g. <c>decode_seconds_per_step</c>), and extra <c>--overrides</c> items
/// (e.g. <c>max_num_sequence=1024</c>) appended to those the AppHost plans (docs/wiring.md).</summary>
internal sealed record EngineSettings(IReadOnlyDictionary<string, double> Timing, string ExtraOverrides)
{
    /// <summary>Started engines log every SSE event's send time (<c>MLC_REFERENCE_CHUNK_TIMES</c>, one file per
    /// engine in the topology's directory), for experiments with <see cref="Experiment.RecordChunkTimes"/>.</summary>
    public bool RecordChunkTimes { get; init; }

    public static readonly EngineSettings Default = new(new Dictionary<string, double>(), "");
}
