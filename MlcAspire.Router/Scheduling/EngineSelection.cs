namespace MlcAspire.Router.Scheduling;

/// <summary>Which engines a pick chooses among; each selection rotates on its own.</summary>
public enum EngineSelection
{
    /// <summary>Every engine, for whole requests (round-robin mode).</summary>
    Any,

    /// <summary>Engines that can prefill (Prefill or Both).</summary>
    Prefill,

    /// <summary>Engines that can decode (Decode or Both).</summary>
    Decode,
}
