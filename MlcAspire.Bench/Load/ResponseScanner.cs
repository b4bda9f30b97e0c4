using System.Buffers;
using System.Buffers.Text;

namespace MlcAspire.Bench.Load;

/// <summary>Reads a completion response body without deserializing it: counts SSE text chunks and their arrival
/// times, finds <c>usage.completion_tokens</c>, <c>[DONE]</c> and error events by scanning bytes.</summary>
/// <remarks>The relay under test forwards engine bytes unchanged, so a byte scan sees exactly what an OpenAI
/// client would parse, at a fraction of the client CPU (the client shares 2 cores with what it measures).</remarks>
internal struct ResponseScanner(long sentAt)
{
    private const int InitialBufferSize = 16 * 1024;

    public long FirstTokenAt { get; private set; }

    public int Chunks { get; private set; }

    public int UsageCompletionTokens { get; private set; } = -1;

    public bool Done { get; private set; }

    public bool Error { get; private set; }

    public double ChunkLatencySum { get; private set; }

    /// <summary>With <c>recordReceipts</c>, the arrival time of every data event (not <c>[DONE]</c>) and the chunks' id.</summary>
    public readonly StreamReceipt? Receipt => _receivedAt is not null && _id is not null ? new(_id, [.. _receivedAt]) : null;

    private List<long>? _receivedAt;
    private string? _id;

    /// <summary>Reads the whole body; for a stream, records each event as it arrives, and with
    /// <paramref name="recordReceipts"/> keeps every event's arrival time for <see cref="Receipt"/>.</summary>
    public static async ValueTask<ResponseScanner> ReadAsync(Stream body, long sentAt, bool stream, bool recordReceipts, CancellationToken cancellationToken)
    {
        var scanner = new ResponseScanner(sentAt) { _receivedAt = recordReceipts && stream ? new List<long>(64) : null };
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
        var filled = 0;
        try
        {
            while (true)
            {
                if (filled == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, filled).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await body.ReadAsync(buffer.AsMemory(filled), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                filled += read;
                if (stream)
                {
                    // One timestamp per read: the events it completed all arrived then, and stamping each as it is
                    // parsed would add the scan of the ones before it.
                    var consumed = scanner.ScanEvents(buffer.AsSpan(0, filled), Stopwatch.GetTimestamp());
                    buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                    filled -= consumed;
                }
            }

            if (!stream)
            {
                scanner.ScanJson(buffer.AsSpan(0, filled));
            }

            return scanner;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Handles every complete <c>data: …\n\n</c> event; returns the bytes consumed.</summary>
    private int ScanEvents(ReadOnlySpan<byte> data, long now)
    {
        var consumed = 0;
        while (true)
        {
            var rest = data[consumed..];
            var end = rest.IndexOf("\n\n"u8);
            if (end < 0)
            {
                return consumed;
            }

            var evt = rest[..end];
            consumed += end + 2;
            if (!evt.StartsWith("data:"u8))
            {
                continue;
            }

            var payload = evt[5..].TrimStart((byte)' ');
            if (payload.SequenceEqual("[DONE]"u8))
            {
                Done = true;
                continue;
            }

            if (_receivedAt is not null)
            {
                // The engine numbers every data event but [DONE] the same way (MLC_REFERENCE_CHUNK_TIMES).
                _receivedAt.Add(now);
                _id ??= ReadString(payload, "\"id\":\""u8);
            }

            if (payload.StartsWith("{\"error\""u8))
            {
                Error = true;
            }
            else
            {
                if (HasNonEmptyText(payload))
                {
                    if (Chunks == 0)
                    {
                        FirstTokenAt = now;
                    }

                    Chunks++;
                    ChunkLatencySum += now - sentAt;
                }

                if (ReadInt(payload, "\"completion_tokens\":"u8) is { } tokens)
                {
                    UsageCompletionTokens = tokens;
                }
            }
        }
    }

    private void ScanJson(ReadOnlySpan<byte> json)
    {
        Done = true;
        if (ReadInt(json, "\"completion_tokens\":"u8) is { } tokens)
        {
            UsageCompletionTokens = tokens;
        }
    }

    private static bool HasNonEmptyText(ReadOnlySpan<byte> json)
    {
        var at = json.IndexOf("\"text\":"u8);
        if (at < 0)
        {
            return false;
        }

        var value = json[(at + 7)..].TrimStart((byte)' ');
        return value.Length >= 2 && value[0] == (byte)'"' && value[1] != (byte)'"';
    }

    /// <summary>A JSON string value with no escapes (ids are ASCII letters, digits and dashes); null if absent.</summary>
    private static string? ReadString(ReadOnlySpan<byte> json, ReadOnlySpan<byte> keyAndQuote)
    {
        var at = json.IndexOf(keyAndQuote);
        if (at < 0)
        {
            return null;
        }

        var value = json[(at + keyAndQuote.Length)..];
        var end = value.IndexOf((byte)'"');
        return end < 0 ? null : System.Text.Encoding.UTF8.GetString(value[..end]);
    }

    private static int? ReadInt(ReadOnlySpan<byte> json, ReadOnlySpan<byte> key)
    {
        var at = json.IndexOf(key);
        if (at < 0)
        {
            return null;
        }

        return Utf8Parser.TryParse(json[(at + key.Length)..].TrimStart((byte)' '), out int value, out _) ? value : null;
    }
}
