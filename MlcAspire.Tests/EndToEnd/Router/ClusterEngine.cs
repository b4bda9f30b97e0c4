namespace MlcAspire.Tests.EndToEnd.Router;

/// <summary>How one engine of a <see cref="ReferenceEngineCluster"/> differs from the AppHost's engines.</summary>
/// <param name="Faults">Its <c>MLC_REFERENCE_FAULTS</c> (test-only fault switches), if any.</param>
/// <param name="Overrides">Extra <c>--overrides</c> items (e.g. a small KV cache: <c>max_total_seq_length=256</c>), if any.</param>
internal sealed record ClusterEngine(string? Faults = null, string? Overrides = null);
