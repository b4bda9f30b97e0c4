using System.Threading.Channels;

namespace MlcAspire.ReferenceEngine.Serving;

/// <summary>What a request asks of the engine loop: ordinary generation or one MicroServing step (mlc-protocol.md §4).</summary>
internal enum RequestKind
{
    /// <summary>An ordinary completion (<c>/v1/completions</c>).</summary>
    Generate,

    /// <summary><c>prep_recv</c>: reserve KV slots for <c>[prefix_matched_length : end]</c> and park.</summary>
    PrepareReceive,

    /// <summary><c>remote_send</c>: compute the KV of <c>[0 : end]</c> and push rows <c>[begin : end]</c> to a peer.</summary>
    RemoteSend,

    /// <summary><c>start_generate</c>: finish the parked prompt from <c>begin</c> and generate.</summary>
    StartGeneration,
}

/// <summary>The sampling and stopping settings of a request, resolved against the model's defaults.</summary>
internal sealed record GenerationSettings(
    int N,
    double Temperature,
    double TopP,
    ulong Seed,
    int MaxTokens,
    IReadOnlyList<string> StopStrings,
    bool IgnoreEos,
    int? TopLogprobs)
{
    /// <summary>Token ids that end a choice besides the model's EOS: the conversation template's (MLC adds them to every request).</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];
}

/// <summary>A request handed to the engine loop; its events come back on <see cref="Events"/>.</summary>
internal sealed record EngineRequest(
    string Id,
    RequestKind Kind,
    int[] Prompt,
    GenerationSettings Settings,
    ChannelWriter<EngineEvent> Events,
    CancellationToken Aborted)
{
    /// <summary><c>begin</c> of remote_send and start_generate (negative counts from the end).</summary>
    public int WindowBegin { get; init; }

    /// <summary><c>end</c> of prep_recv and remote_send (negative counts from the end).</summary>
    public int WindowEnd { get; init; }

    /// <summary>The decode engine's <c>kv_append_metadata</c>, for remote_send.</summary>
    public string? KvAddrInfo { get; init; }

    /// <summary>The PE that receives the KV, for remote_send.</summary>
    public int RecvRank { get; init; }

    /// <summary>The span of the HTTP request that brought this one; the engine loop's phase spans are its children.</summary>
    public System.Diagnostics.ActivityContext TraceParent { get; init; }
}
