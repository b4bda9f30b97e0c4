using MlcAspire.ReferenceEngine.Serving;

namespace MlcAspire.ReferenceEngine.Telemetry;

/// <summary>The engine's log messages. Event ids: 1xx serving, 2xx KV transfer and world, 3xx HTTP surface.</summary>
internal static partial class EngineLog
{
    [LoggerMessage(EventId = 99, EventName = "EngineStarted", Level = LogLevel.Information,
        Message = "Serving {Model} on the CPU (device {Device} recorded), mode {Mode}, prefix cache {PrefixCacheMode}, {KvPages} KV pages, at most {MaxNumSequence} sequences")]
    public static partial void EngineStarted(ILogger logger, string model, string device, string mode, string prefixCacheMode, int kvPages, int maxNumSequence);

    [LoggerMessage(EventId = 100, EventName = "StepFailed", Level = LogLevel.Error, Message = "An engine step failed; the requests in flight were failed")]
    public static partial void StepFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 101, EventName = "RequestAborted", Level = LogLevel.Debug, Message = "Request {RequestId} aborted; its pages were freed")]
    public static partial void RequestAborted(ILogger logger, string requestId);

    [LoggerMessage(EventId = 102, EventName = "RequestRejected", Level = LogLevel.Warning, Message = "Request {RequestId} ({Kind}) rejected: {Reason}")]
    public static partial void RequestRejected(ILogger logger, string requestId, RequestKind kind, string reason);

    [LoggerMessage(EventId = 103, EventName = "Preempted", Level = LogLevel.Information, Message = "Request {RequestId} preempted (disaggregated: {Disaggregated}): the KV cache is out of pages")]
    public static partial void Preempted(ILogger logger, string requestId, bool disaggregated);

    [LoggerMessage(EventId = 104, EventName = "ReceiveReserved", Level = LogLevel.Debug, Message = "Request {RequestId} parked with KV slots reserved for [{Begin}:{End}]")]
    public static partial void ReceiveReserved(ILogger logger, string requestId, int begin, int end);

    [LoggerMessage(EventId = 200, EventName = "PushFailed", Level = LogLevel.Warning, Message = "Request {RequestId}: KV push failed: {Reason}")]
    public static partial void PushFailed(ILogger logger, string requestId, string reason);

    [LoggerMessage(EventId = 201, EventName = "KvRowsRefused", Level = LogLevel.Warning, Message = "Refused {RowCount} pushed KV rows: {Reason}")]
    public static partial void KvRowsRefused(ILogger logger, int rowCount, string reason);

    [LoggerMessage(EventId = 202, EventName = "KvReceiveFailed", Level = LogLevel.Debug, Message = "A KV push connection failed")]
    public static partial void KvReceiveFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 203, EventName = "JoiningWorld", Level = LogLevel.Information, Message = "Joining the NVSHMEM world as PE {PeStart} of {Npes} through the bootstrap root at {Root}")]
    public static partial void JoiningWorld(ILogger logger, int peStart, int npes, string root);

    [LoggerMessage(EventId = 204, EventName = "JoinedWorld", Level = LogLevel.Information, Message = "Joined the NVSHMEM world of {Npes} PEs")]
    public static partial void JoinedWorld(ILogger logger, int npes);

    [LoggerMessage(EventId = 300, EventName = "ClientDisconnected", Level = LogLevel.Debug, Message = "Client of request {RequestId} disconnected; aborting it")]
    public static partial void ClientDisconnected(ILogger logger, string requestId);

    [LoggerMessage(EventId = 301, EventName = "ChunkTimesDropped", Level = LogLevel.Warning, Message = "{DroppedCount} SSE send-time records were dropped (the writer of {Path} fell behind)")]
    public static partial void ChunkTimesDropped(ILogger logger, long droppedCount, string path);
}
