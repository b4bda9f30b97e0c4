using System.Diagnostics;

namespace MlcAspire.Router.Telemetry;

/// <summary>
/// What one client request measures across its attempts: first chunk, engine time, the engines' usage; recorded
/// once at the end as the GenAI server metrics, the router's overhead and tags on the router's server span.
/// </summary>
/// <remarks>
/// It flows with the request through an AsyncLocal (as <see cref="Activity.Current"/> does) so that engine calls
/// made by any strategy, including one an application registers, count their time without a new parameter.
/// </remarks>
internal sealed class RequestTelemetry
{
    private static readonly AsyncLocal<RequestTelemetry?> CurrentRequest = new();

    private readonly TimeProvider _timeProvider;
    private readonly string _mode;
    private readonly string _model;
    private readonly string _operation;
    private readonly long _startedAt;
    private long? _firstChunkAt;
    private TimeSpan _engineTime;
    private (int Input, int Output)? _usage;

    private RequestTelemetry(TimeProvider timeProvider, string mode, string model, CompletionOperation operation)
    {
        (_timeProvider, _mode, _model) = (timeProvider, mode, model);
        _operation = operation == CompletionOperation.Chat ? RouterTelemetry.Chat : RouterTelemetry.TextCompletion;
        _startedAt = timeProvider.GetTimestamp();
    }

    /// <summary>The request whose flow this code runs in, if any.</summary>
    public static RequestTelemetry? Current => CurrentRequest.Value;

    /// <summary>Starts measuring and makes the measurement current for the calling flow.</summary>
    public static RequestTelemetry Begin(TimeProvider timeProvider, string mode, string model, CompletionOperation operation) =>
        CurrentRequest.Value = new RequestTelemetry(timeProvider, mode, model, operation);

    public void AddEngineTime(TimeSpan elapsed, Activity? engineCall)
    {
        _engineTime += elapsed;
        if (_usage is { } usage && engineCall is not null)
        {
            engineCall.SetTag(RouterTelemetry.OutputTokensTag, usage.Output);
        }
    }

    /// <summary>Notes a non-streamed answer's usage; a whole answer has no first token the router could time.</summary>
    public void ObserveAnswer(ReadOnlySpan<byte> answer) => _usage = ReadUsage(answer) ?? _usage;

    /// <summary>Notes the first chunk and, in the chunk that carries it, the engine's usage (a forward-only scan).</summary>
    public void ObserveChunk(ReadOnlySpan<byte> payload)
    {
        _firstChunkAt ??= _timeProvider.GetTimestamp();
        if (payload.IndexOf("\"usage\""u8) >= 0 && ReadUsage(payload) is { } usage)
        {
            _usage = usage;
        }
    }

    /// <summary>Records the request's metrics and tags the current (server) span.</summary>
    public void Finish(string requestId, string outcome)
    {
        var end = _timeProvider.GetTimestamp();
        var duration = _timeProvider.GetElapsedTime(_startedAt, end);
        var overhead = duration - _engineTime;
        var common = new TagList
        {
            { RouterTelemetry.OperationNameTag, _operation },
            { RouterTelemetry.RequestModelTag, _model },
        };
        var withOutcome = common;
        if (outcome != "Success")
        {
            withOutcome.Add(RouterTelemetry.ErrorTypeTag, outcome);
        }

        RouterMetrics.Requests.Add(1, new TagList { { RouterTelemetry.ModeTag, _mode }, { RouterTelemetry.OutcomeTag, outcome } });
        RouterMetrics.RequestDuration.Record(duration.TotalSeconds, withOutcome);
        RouterMetrics.Overhead.Record(Math.Max(0, overhead.TotalSeconds), new TagList { { RouterTelemetry.ModeTag, _mode } });
        if (_firstChunkAt is { } first)
        {
            RouterMetrics.TimeToFirstToken.Record(_timeProvider.GetElapsedTime(_startedAt, first).TotalSeconds, common);
            if (_usage is { Output: > 1 } decoded)
            {
                RouterMetrics.TimePerOutputToken.Record(_timeProvider.GetElapsedTime(first, end).TotalSeconds / (decoded.Output - 1), common);
            }
        }

        if (_usage is { } usage)
        {
            var input = common;
            input.Add(RouterTelemetry.TokenTypeTag, "input");
            var output = common;
            output.Add(RouterTelemetry.TokenTypeTag, "output");
            RouterMetrics.TokenUsage.Record(usage.Input, input);
            RouterMetrics.TokenUsage.Record(usage.Output, output);
        }

        if (Activity.Current is { } server)
        {
            server.SetTag(RouterTelemetry.RequestIdTag, requestId);
            server.SetTag(RouterTelemetry.ModeTag, _mode);
            server.SetTag(RouterTelemetry.OverheadTag, Math.Max(0, overhead.TotalMilliseconds));
            server.SetOutcome(outcome);
            if (_usage is { } tokens)
            {
                server.SetTag(RouterTelemetry.InputTokensTag, tokens.Input);
                server.SetTag(RouterTelemetry.OutputTokensTag, tokens.Output);
            }
        }
    }

    /// <summary>Reads <c>usage.prompt_tokens</c> and <c>usage.completion_tokens</c> of a chunk's top-level object.</summary>
    private static (int, int)? ReadUsage(ReadOnlySpan<byte> payload)
    {
        var reader = new Utf8JsonReader(payload);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isUsage = reader.ValueTextEquals("usage"u8);
            reader.Read();
            if (!isUsage || reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            int? input = null, output = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var key = reader.ValueTextEquals("prompt_tokens"u8) ? 1 : reader.ValueTextEquals("completion_tokens"u8) ? 2 : 0;
                reader.Read();
                if (key != 0 && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var count))
                {
                    if (key == 1)
                    {
                        input = count;
                    }
                    else
                    {
                        output = count;
                    }
                }
                else
                {
                    reader.Skip();
                }
            }

            return input is { } i && output is { } o ? (i, o) : null;
        }

        return null;
    }
}
