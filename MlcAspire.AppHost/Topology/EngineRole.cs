namespace MlcAspire.AppHost.Topology;

/// <summary>What the router may use an engine for; the names are the router's <c>Router__Engines__k__Role</c> values.</summary>
internal enum EngineRole
{
    /// <summary>Computes the prompt's KV cache and pushes it to a decode engine (<c>remote_send</c>).</summary>
    Prefill,

    /// <summary>Receives KV (<c>prep_recv</c>) and generates (<c>start_generate</c>).</summary>
    Decode,

    /// <summary>Serves whole requests, or either side of a disaggregated one.</summary>
    Both,
}
