namespace MlcAspire.Contracts;

/// <summary>
/// What the router may use an engine for in disaggregated mode (round-robin uses every engine); the member names are
/// the values of the router's <c>Router__Engines__k__Role</c> and the AppHost's <c>--endpoint-roles</c>.
/// </summary>
public enum EngineRole
{
    /// <summary>Serves whole requests, or either side of a disaggregated one.</summary>
    Both,

    /// <summary>Computes the prompt's KV cache and pushes it to a decode engine (<c>remote_send</c>).</summary>
    Prefill,

    /// <summary>Receives KV (<c>prep_recv</c>) and generates (<c>start_generate</c>).</summary>
    Decode,
}
