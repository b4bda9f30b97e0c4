namespace MlcAspire.AppHost.Topology;

/// <summary>Which program serves as engine: both take <c>mlc_llm serve</c>'s command line.</summary>
internal enum EngineKind
{
    /// <summary><c>MlcAspire.ReferenceEngine</c>, the CPU drop-in (tests, CI, machines without a GPU).</summary>
    Reference,

    /// <summary>A real <c>python -m mlc_llm serve</c>.</summary>
    Mlc,
}
