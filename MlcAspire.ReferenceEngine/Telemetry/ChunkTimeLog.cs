using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;

namespace MlcAspire.ReferenceEngine.Telemetry;

/// <summary>
/// Diagnostic, off unless <c>MLC_REFERENCE_CHUNK_TIMES</c> names a file: for every SSE event of a streamed completion
/// (including the usage chunk, not <c>[DONE]</c>) the engine appends <c>id seq timestamp</c>, where id is the chunk's
/// <c>id</c>, seq the event's position in its response (0, 1, 2, …) and timestamp <see cref="Stopwatch.GetTimestamp"/>
/// taken once the event was written and flushed to the response. A client that stamps its arrivals with the same
/// clock gets each event's delivery time (the bench's per-chunk router cost). The wire is not changed.
/// </summary>
/// <remarks>
/// On Linux <see cref="Stopwatch.GetTimestamp"/> reads CLOCK_MONOTONIC in nanoseconds (<see cref="Stopwatch.Frequency"/>
/// = 1e9), one clock for every process of the machine, so engine and client timestamps subtract directly. The file's
/// first line states the frequency so a reader can refuse another clock. Records go through a bounded channel to a
/// background writer; a full channel drops records (counted, logged at shutdown) rather than stall a stream. The file
/// is flushed once the writer is idle for <see cref="FlushInterval"/>, because a bench reads it while the engine runs
/// (and kills the engine, so a shutdown flush alone would lose everything).
/// </remarks>
internal sealed class ChunkTimeLog(string? path, TimeProvider timeProvider, ILogger<ChunkTimeLog> logger) : BackgroundService
{
    public const string Variable = "MLC_REFERENCE_CHUNK_TIMES";

    /// <summary>Records waiting for the writer: at 40 bytes a line, seconds of the busiest stream load.</summary>
    private const int Capacity = 1 << 18;

    private static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);

    private readonly Channel<ChunkTime> _records = Channel.CreateBounded<ChunkTime>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private long _dropped;

    public bool Enabled { get; } = !string.IsNullOrWhiteSpace(path);

    /// <summary>Passes <paramref name="events"/> through unchanged, recording each one's send time.</summary>
    public async IAsyncEnumerable<string> RecordAsync(string id, IAsyncEnumerable<string> events, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // An id with a line break would break the line format; MLC ids never have one, a client's `user` could.
        var recordable = id.AsSpan().IndexOfAny('\r', '\n') < 0;
        var sequence = 0;
        await foreach (var data in events.WithCancellation(cancellationToken))
        {
            yield return data;
            // Resumed only when the formatter asks for the next event, which it does after writing and flushing this
            // one (SseFormatter flushes after every event): the earliest point the engine has handed it over.
            if (recordable && data != "[DONE]" && !_records.Writer.TryWrite(new ChunkTime(id, sequence++, Stopwatch.GetTimestamp())))
            {
                Interlocked.Increment(ref _dropped);
            }
        }
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        // Completing the channel lets the writer drain what is queued and flush before it ends.
        _records.Writer.TryComplete();
        return base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            return;
        }

        await using var file = new FileStream(path!, FileMode.Create, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 64 * 1024, useAsync: true);
        await using var writer = new StreamWriter(file, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 64 * 1024);
        await writer.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"# id seq timestamp; stopwatch-frequency {Stopwatch.Frequency}"));
        await writer.FlushAsync(stoppingToken);
        var reader = _records.Reader;
        var unflushed = false;
        while (true)
        {
            while (reader.TryRead(out var record))
            {
                Write(writer, record);
                unflushed = true;
            }

            // Not the stopping token: stopping completes the channel, and what is queued still gets written.
            var more = reader.WaitToReadAsync(CancellationToken.None).AsTask();
            if (unflushed && await Task.WhenAny(more, Task.Delay(FlushInterval, timeProvider, stoppingToken)) != more)
            {
                await writer.FlushAsync(CancellationToken.None);
                unflushed = false;
            }

            if (!await more)
            {
                break;
            }
        }

        await writer.FlushAsync(CancellationToken.None);
        if (Interlocked.Read(ref _dropped) is var dropped and > 0)
        {
            EngineLog.ChunkTimesDropped(logger, dropped, path!);
        }
    }

    private static void Write(StreamWriter writer, ChunkTime record)
    {
        Span<char> numbers = stackalloc char[48];
        var written = numbers.TryWrite(CultureInfo.InvariantCulture, $" {record.Sequence} {record.Timestamp}\n", out var length);
        Debug.Assert(written, "Two numbers fit in 48 characters.");
        writer.Write(record.Id);
        writer.Write(numbers[..length]);
    }

    private readonly record struct ChunkTime(string Id, int Sequence, long Timestamp);
}
