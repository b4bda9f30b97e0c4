namespace MlcAspire.Bench.Presets;

/// <summary>Engine schedules the presets use (keys of the reference engine's timing model, seconds).</summary>
internal static class TimingProfiles
{
    /// <summary>Near-zero steps and room for many sequences: the engines answer in about a millisecond, so that
    /// latency and throughput differences between targets are the proxies'.</summary>
    public static readonly EngineSettings Fast = new(
        new Dictionary<string, double>
        {
            ["prefill_seconds_per_token"] = 0.00001,
            ["decode_seconds_per_step"] = 0.0005,
            ["decode_slowdown_during_prefill"] = 1,
        },
        ";max_num_sequence=1024;max_total_seq_length=262144;prefill_chunk_size=8192");

    /// <summary>A token every 2 ms per stream: short enough that the phase of the engine's step adds little noise
    /// to per-chunk latency.</summary>
    public static readonly EngineSettings Streaming = Fast with
    {
        Timing = new Dictionary<string, double>(Fast.Timing) { ["decode_seconds_per_step"] = 0.002 },
    };

    /// <summary>Slow streams: a token every 0.5 s, thousands of sequences per engine, whole prompts in one step.</summary>
    public static readonly EngineSettings SlowStreams = new(
        new Dictionary<string, double>
        {
            ["prefill_seconds_per_token"] = 0.00001,
            ["decode_seconds_per_step"] = 0.5,
            ["decode_slowdown_during_prefill"] = 1,
        },
        ";max_num_sequence=4096;max_total_seq_length=524288;prefill_chunk_size=65536");

    /// <summary>A GPU-like engine with prefill interference: 0.1 ms per prompt token (a 3,000-token prompt is 0.3 s
    /// of prefill in 512-token chunks), 20 ms per decode step, decode steps 1.5× slower while a prefill shares them.</summary>
    public static readonly EngineSettings PrefillInterference = new(
        new Dictionary<string, double>
        {
            ["prefill_seconds_per_token"] = PdPrefillSecondsPerToken,
            ["decode_seconds_per_step"] = 0.02,
            ["decode_slowdown_during_prefill"] = 1.5,
        },
        ";max_num_sequence=64;max_total_seq_length=262144");

    public const double PdPrefillSecondsPerToken = 0.0001;
}
