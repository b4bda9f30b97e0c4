namespace MlcAspire.Router;

/// <summary>What an engine may be used for in disaggregated mode. Round-robin uses every engine.</summary>
public enum EngineRole
{
    /// <summary>Prefill and decode.</summary>
    Both,

    /// <summary>Computes prompt KV and pushes it to a decode engine (remote_send).</summary>
    Prefill,

    /// <summary>Receives KV (prep_recv) and generates (start_generate).</summary>
    Decode,
}
