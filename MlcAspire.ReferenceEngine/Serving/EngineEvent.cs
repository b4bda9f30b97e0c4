namespace MlcAspire.ReferenceEngine.Serving;

/// <summary>What the engine loop reports to the handler of one request.</summary>
internal abstract record EngineEvent;

/// <summary>Text (and log-probabilities) produced by some choices in one step; finished choices carry a reason.</summary>
internal sealed record TokensEvent(IReadOnlyList<ChoiceDelta> Choices) : EngineEvent;

/// <summary>The request is complete; no more events follow.</summary>
internal sealed record FinishedEvent(UsageStats Usage) : EngineEvent;

/// <summary>prep_recv reserved its slots and parked.</summary>
internal sealed record ReceivePreparedEvent(string KvAppendMetadata, int PrefixMatchedLength) : EngineEvent;

/// <summary>remote_send computed the window and the receiver acknowledged every row.</summary>
internal sealed record SendCompletedEvent : EngineEvent;

/// <summary>The engine refused the request (duplicate id, window rule, unknown PE, …); the message says why.</summary>
internal sealed record RejectedEvent(string Message) : EngineEvent;

internal sealed record ChoiceDelta(int Index, string Text, string? FinishReason, IReadOnlyList<TokenLogprob> Logprobs);

internal sealed record TokenLogprob(string Token, double Logprob, IReadOnlyList<KeyValuePair<string, double>> TopLogprobs);

/// <summary>Counts and timings of a finished request, the source of <c>usage</c> and <c>usage.extra</c>.</summary>
internal sealed record UsageStats(
    int PromptTokens,
    int CompletionTokens,
    int PrefillTokens,
    int DecodeTokens,
    double EndToEndSeconds,
    double TimeToFirstTokenSeconds);
