namespace MlcAspire.ReferenceEngine.Cli;

/// <summary>The engine's settings, as <c>mlc_llm serve</c>'s command line gives them (mlc-protocol.md §1.3), with its defaults.</summary>
internal sealed record EngineOptions
{
    public required string Model { get; init; }

    public string? ModelLib { get; init; }

    /// <summary>Accepted and recorded; the reference engine always computes on the CPU.</summary>
    public string Device { get; init; } = "auto";

    public string Mode { get; init; } = "local";

    public bool EnableDebug { get; init; }

    public string PrefixCacheMode { get; init; } = "radix";

    public string SpeculativeMode { get; init; } = "disable";

    public string PrefillMode { get; init; } = "hybrid";

    public EngineOverrides Overrides { get; init; } = new();

    public bool EnableTracing { get; init; }

    public string Host { get; init; } = "127.0.0.1";

    public int Port { get; init; } = 8000;

    public string? ApiKey { get; init; }

    public bool AllowCredentials { get; init; }

    public IReadOnlyList<string> AllowOrigins { get; init; } = ["*"];

    public IReadOnlyList<string> AllowMethods { get; init; } = ["*"];

    public IReadOnlyList<string> AllowHeaders { get; init; } = ["*"];

    public bool PrefixCacheEnabled => PrefixCacheMode == "radix";
}

/// <summary>The keys of <c>--overrides "k=v;…"</c>; null means "the engine decides".</summary>
internal sealed record EngineOverrides
{
    public int? MaxNumSequence { get; init; }

    public int? MaxTotalSeqLength { get; init; }

    public int? PrefillChunkSize { get; init; }

    public int? MaxHistorySize { get; init; }

    public double? GpuMemoryUtilization { get; init; }

    public int? SpecDraftLength { get; init; }

    public int? SpecTreeWidth { get; init; }

    public int? PrefixCacheMaxNumRecyclingSeqs { get; init; }

    public int? ContextWindowSize { get; init; }

    public int? SlidingWindowSize { get; init; }

    public int? AttentionSinkSize { get; init; }

    public int TensorParallelShards { get; init; } = 1;

    public int? PipelineParallelStages { get; init; }

    public string? Opt { get; init; }
}
