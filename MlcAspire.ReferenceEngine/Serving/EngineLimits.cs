using MlcAspire.Models;
using MlcAspire.ReferenceEngine.Cli;
using MlcAspire.ReferenceEngine.KvCache;
using MlcAspire.ReferenceEngine.Model;

namespace MlcAspire.ReferenceEngine.Serving;

/// <summary>The engine's capacity and model facts the loop needs, resolved from the model config and <c>--overrides</c>.</summary>
internal sealed record EngineLimits(
    int VocabSize,
    int MaxNumSequence,
    int PrefillChunkSize,
    int MaxSequenceLength,
    int KvPages,
    IReadOnlyList<int> EosTokenIds,
    bool PrefixCacheEnabled)
{
    /// <summary>Capacity from <c>--overrides</c>, else from the model config and <c>--mode</c> as MLC picks it.</summary>
    /// <remarks>
    /// The KV cache is one float array and the transformer's rotary tables are two, so each must fit both in an array
    /// (<see cref="Array.MaxLength"/> elements, which also keeps every slot offset an <c>int</c>) and, together, in
    /// <paramref name="availableBytes"/>. MLC sizes its cache from GPU memory; here a capacity that cannot be allocated
    /// is a usage error naming the key, not a crash at start.
    /// </remarks>
    /// <exception cref="CommandLineException">The capacity does not fit; the message names the <c>--overrides</c> key.</exception>
    public static EngineLimits Resolve(EngineOptions options, MlcChatConfig config, ModelShape shape, long availableBytes)
    {
        var overrides = options.Overrides;
        var contextWindow = overrides.ContextWindowSize ?? config.ContextWindowSize;
        var maxNumSequence = overrides.MaxNumSequence ?? options.Mode switch
        {
            "interactive" => 1,
            "server" => 32,
            _ => 4,
        };
        var maxTotal = overrides.MaxTotalSeqLength ?? (options.Mode == "server" ? Math.Max(32768L, contextWindow) : (long)contextWindow * maxNumSequence);
        var kvPages = (maxTotal + PagedKvCache.PageSize - 1) / PagedKvCache.PageSize;
        var kvFloats = kvPages * PagedKvCache.PageSize * shape.KvRowFloats;
        var ropeFloats = ((long)contextWindow + 1) * (shape.HeadDim / 2);
        var kvKey = overrides switch
        {
            { MaxTotalSeqLength: not null } => "max_total_seq_length",
            { ContextWindowSize: not null } when options.Mode != "server" => "context_window_size",
            { MaxNumSequence: not null } when options.Mode != "server" => "max_num_sequence",
            _ => "max_total_seq_length",
        };
        if (ropeFloats > Array.MaxLength || 2 * ropeFloats * sizeof(float) > availableBytes)
        {
            throw new CommandLineException(
                $"argument --overrides context_window_size: {contextWindow} positions need {2 * ropeFloats * sizeof(float)} bytes of rotary tables, more than this engine can allocate ({availableBytes} bytes available)");
        }

        if (kvFloats > Array.MaxLength || (kvFloats + 2 * ropeFloats) * sizeof(float) > availableBytes)
        {
            var fits = Math.Max(0, Math.Min(Array.MaxLength, (availableBytes / sizeof(float)) - (2 * ropeFloats))) / shape.KvRowFloats / PagedKvCache.PageSize * PagedKvCache.PageSize;
            throw new CommandLineException(
                $"argument --overrides {kvKey}: a KV cache of {maxTotal} positions needs {kvFloats * sizeof(float)} bytes ({shape.KvRowFloats * sizeof(float)} a position), " +
                $"more than this engine can allocate ({availableBytes} bytes available); at most {fits} positions fit");
        }

        return new EngineLimits(
            config.VocabSize,
            maxNumSequence,
            overrides.PrefillChunkSize ?? config.PrefillChunkSize,
            contextWindow,
            (int)kvPages,
            config.EosTokenIds,
            options.PrefixCacheEnabled);
    }
}
