using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace MlcAspire.Bench.Measurement;

/// <summary>One engine's <c>MLC_REFERENCE_CHUNK_TIMES</c> file (<c>id seq timestamp</c> lines), read while the engine
/// runs and writes it: each read picks up where the last one stopped, at the last complete line, so that an
/// experiment's join holds only the records written since the previous one.</summary>
internal sealed class EngineChunkLog(string path)
{
    private const int BufferSize = 1 << 20;

    private long _offset;

    public string Path => path;

    /// <summary>Adds the records appended since the last read whose id is in <paramref name="wanted"/> to
    /// <paramref name="sent"/> (id → send time by sequence number, <see cref="ChunkDelivery.Missing"/> where none).</summary>
    /// <exception cref="InvalidDataException">The engine's clock ticks at another rate than the bench's: its times do
    /// not subtract from ours (another machine, or an OS whose Stopwatch is not one clock for all processes).</exception>
    public void ReadNew(IReadOnlySet<string> wanted, Dictionary<string, long[]> sent)
    {
        if (!File.Exists(path))
        {
            return;
        }

        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        file.Seek(_offset, SeekOrigin.Begin);
        var buffer = new byte[BufferSize];
        var filled = 0;
        int read;
        while ((read = file.Read(buffer, filled, buffer.Length - filled)) > 0)
        {
            filled += read;
            var consumed = 0;
            int newline;
            while ((newline = buffer.AsSpan(consumed, filled - consumed).IndexOf((byte)'\n')) >= 0)
            {
                Parse(buffer.AsSpan(consumed, newline), wanted, sent);
                consumed += newline + 1;
            }

            // A line the engine has not finished writing stays for the next read.
            _offset += consumed;
            buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
            filled -= consumed;
            if (filled == buffer.Length)
            {
                throw new InvalidDataException($"{path}: a line longer than {BufferSize} bytes at offset {_offset}.");
            }
        }
    }

    /// <summary>Parses one line; the id may hold spaces (a client's <c>user</c>), so the numbers are read from the right.</summary>
    internal static void Parse(ReadOnlySpan<byte> line, IReadOnlySet<string> wanted, Dictionary<string, long[]> sent)
    {
        if (line.StartsWith("#"u8))
        {
            CheckFrequency(line);
            return;
        }

        var lastSpace = line.LastIndexOf((byte)' ');
        var seqSpace = lastSpace > 0 ? line[..lastSpace].LastIndexOf((byte)' ') : -1;
        if (seqSpace <= 0
            || !Utf8Parser.TryParse(line[(seqSpace + 1)..lastSpace], out int seq, out var seqLength) || seqLength != lastSpace - seqSpace - 1 || seq < 0
            || !Utf8Parser.TryParse(line[(lastSpace + 1)..], out long timestamp, out var timestampLength) || timestampLength != line.Length - lastSpace - 1)
        {
            throw new InvalidDataException($"Not an 'id seq timestamp' line: '{Encoding.UTF8.GetString(line)}'.");
        }

        var id = Encoding.UTF8.GetString(line[..seqSpace]);
        if (!wanted.Contains(id))
        {
            return;
        }

        var times = sent.GetValueOrDefault(id) ?? [];
        if (seq >= times.Length)
        {
            var grown = new long[Math.Max(seq + 1, times.Length * 2)];
            grown.AsSpan().Fill(ChunkDelivery.Missing);
            times.CopyTo(grown, 0);
            times = grown;
            sent[id] = times;
        }

        times[seq] = timestamp;
    }

    private static void CheckFrequency(ReadOnlySpan<byte> header)
    {
        var key = "stopwatch-frequency "u8;
        var at = header.IndexOf(key);
        if (at >= 0 && Utf8Parser.TryParse(header[(at + key.Length)..], out long frequency, out _) && frequency != Stopwatch.Frequency)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"The engine's clock ticks at {frequency} Hz, the bench's at {Stopwatch.Frequency} Hz: their timestamps do not compare."));
        }
    }
}
