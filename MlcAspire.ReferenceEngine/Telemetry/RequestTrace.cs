using System.Diagnostics;
using MlcAspire.ReferenceEngine.Serving;

namespace MlcAspire.ReferenceEngine.Telemetry;

/// <summary>
/// The phases of one engine request as spans under the HTTP request that brought it (the trace the router started):
/// <c>engine.queue</c>, <c>engine.prefill</c>, <c>engine.decode</c>, <c>engine.kv_send</c> (remote_send pushing KV) and
/// <c>engine.kv_receive</c> (prep_recv reserving the slots the KV is written into); plus the GenAI server metrics.
/// </summary>
/// <remarks>Called by the engine loop's one thread, except <see cref="PushFinished"/>, which only reads.</remarks>
internal sealed class RequestTrace(ActivityContext parent, TimeProvider timeProvider, string requestId, RequestKind kind, int promptTokens)
{
    private readonly DateTimeOffset _arrivedAt = timeProvider.GetUtcNow();
    private DateTimeOffset? _admittedAt;
    private DateTimeOffset? _firstTokenAt;
    private DateTimeOffset? _pushStartedAt;
    private bool _ended;
    private int _prefixMatched;
    private int _rows;

    public void Admitted(int prefixMatched)
    {
        if (_admittedAt is not null)
        {
            return;
        }

        (_admittedAt, _prefixMatched) = (timeProvider.GetUtcNow(), prefixMatched);
        Emit("engine.queue", _arrivedAt, _admittedAt.Value, []);
    }

    public void FirstToken()
    {
        if (_firstTokenAt is not null || _admittedAt is not { } admitted)
        {
            return;
        }

        _firstTokenAt = timeProvider.GetUtcNow();
        EmitPrefill(admitted, _firstTokenAt.Value);
    }

    public void PushStarted(int rows)
    {
        _pushStartedAt = timeProvider.GetUtcNow();
        _rows = rows;
        if (_admittedAt is { } admitted)
        {
            EmitPrefill(admitted, _pushStartedAt.Value);
        }
    }

    public void PushFinished(int recvRank, string? error) =>
        Emit("engine.kv_send", _pushStartedAt ?? _arrivedAt, timeProvider.GetUtcNow(), new TagList
        {
            { EngineTelemetry.RowsTag, _rows },
            { EngineTelemetry.RecvRankTag, recvRank },
            { EngineTelemetry.OutcomeTag, error is null ? "Success" : "Failed" },
        });

    public void ReceiveReserved(int prefixMatched, int end) =>
        Emit("engine.kv_receive", _arrivedAt, timeProvider.GetUtcNow(), new TagList
        {
            { EngineTelemetry.PrefixMatchedTag, prefixMatched },
            { EngineTelemetry.WindowEndTag, end },
            { EngineTelemetry.RowsTag, end - prefixMatched },
        });

    /// <summary>Ends a generating request: the decode span and, with usage, the GenAI server metrics. Only the first call counts.</summary>
    public void End(string outcome, UsageStats? usage)
    {
        if (_ended || kind is not (RequestKind.Generate or RequestKind.StartGeneration))
        {
            return;
        }

        _ended = true;
        var now = timeProvider.GetUtcNow();
        if (_firstTokenAt is { } first)
        {
            var tags = new TagList { { EngineTelemetry.OutcomeTag, outcome } };
            if (usage is not null)
            {
                tags.Add(EngineTelemetry.OutputTokensTag, usage.CompletionTokens);
            }

            Emit("engine.decode", first, now, tags);
        }

        if (usage is null || outcome != "Success")
        {
            return;
        }

        var operation = new TagList { { EngineTelemetry.OperationNameTag, "text_completion" } };
        EngineTelemetry.RequestDuration.Record((now - _arrivedAt).TotalSeconds, operation);
        if (_firstTokenAt is { } firstToken)
        {
            EngineTelemetry.TimeToFirstToken.Record((firstToken - _arrivedAt).TotalSeconds, operation);
            if (usage.CompletionTokens > 1)
            {
                EngineTelemetry.TimePerOutputToken.Record((now - firstToken).TotalSeconds / (usage.CompletionTokens - 1), operation);
            }
        }
    }

    private void EmitPrefill(DateTimeOffset start, DateTimeOffset end) =>
        Emit("engine.prefill", start, end, new TagList
        {
            { EngineTelemetry.InputTokensTag, promptTokens },
            { EngineTelemetry.PrefixMatchedTag, _prefixMatched },
        });

    private void Emit(string name, DateTimeOffset start, DateTimeOffset end, TagList tags)
    {
        tags.Add(EngineTelemetry.KindTag, kind.ToString());
        EngineTelemetry.Phase(name, parent, start, end, requestId, tags);
    }
}
