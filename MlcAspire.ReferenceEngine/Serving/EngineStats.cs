namespace MlcAspire.ReferenceEngine.Serving;

/// <summary>A snapshot of the engine loop's state, published after every step for <c>/metrics</c>.</summary>
internal sealed record EngineStats(
    int PagesTotal,
    int PagesFree,
    int PagesUsed,
    int PagesCached,
    int RunningRequests,
    int WaitingRequests,
    int ParkedRequests,
    int PendingReceives,
    long PrefillTokensTotal,
    long DecodeTokensTotal,
    long PreemptionsTotal,
    long RequestsTotal);
