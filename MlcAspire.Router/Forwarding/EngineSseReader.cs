using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace MlcAspire.Router.Forwarding;

/// <summary>
/// Reads the <c>data:</c> payloads of an engine's SSE stream (mlc-protocol.md §2.4) as raw bytes, re-arming the idle timeout
/// after every successful read. Ends at <c>data: [DONE]</c>; a stream that ends without it is reported through
/// <see cref="SawDone"/> so a truncated generation never looks complete.
/// </summary>
public sealed class EngineSseReader(Stream stream, ActivityTimeout timeout, TimeSpan idleTimeout)
{
    /// <summary>
    /// The longest line (one <c>data:</c> event) kept in memory. A completion chunk carries one step's text per choice
    /// and is a few KB; the largest legitimate one is the first chunk of an <c>echo</c> request, which repeats the prompt,
    /// and a prompt is bounded by the request body limit (4 MiB by default). Without a bound, an engine that streams
    /// without newlines would grow the router's memory for as long as it keeps sending.
    /// </summary>
    public const int MaxLineBytes = 4 * 1024 * 1024;

    private static ReadOnlySpan<byte> DataPrefix => "data:"u8;
    private static ReadOnlySpan<byte> Done => "[DONE]"u8;

    public bool SawDone { get; private set; }

    /// <summary>The stream ended early because a line grew past <see cref="MaxLineBytes"/>: the engine broke the protocol.</summary>
    public bool LineTooLong { get; private set; }

    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var result = await reader.ReadAsync(timeout.Token);
                timeout.Reset(idleTimeout);
                var buffer = result.Buffer;
                while (TryReadLine(ref buffer, out var line))
                {
                    if (line.Length > MaxLineBytes)
                    {
                        LineTooLong = true;
                        yield break;
                    }

                    var payload = ReadPayload(line);
                    if (payload is null)
                    {
                        continue;
                    }

                    if (payload.AsSpan().SequenceEqual(Done))
                    {
                        SawDone = true;
                        yield break;
                    }

                    yield return payload;
                }

                if (buffer.Length > MaxLineBytes)
                {
                    LineTooLong = true;
                    yield break;
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    yield break;
                }
            }
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private static bool TryReadLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        var newline = buffer.PositionOf((byte)'\n');
        if (newline is null)
        {
            line = default;
            return false;
        }

        line = buffer.Slice(0, newline.Value);
        buffer = buffer.Slice(buffer.GetPosition(1, newline.Value));
        return true;
    }

    /// <summary>The bytes after <c>data:</c> (one optional space removed), or null for blank, comment and other field lines.</summary>
    private static byte[]? ReadPayload(ReadOnlySequence<byte> line)
    {
        var bytes = line.IsSingleSegment ? line.FirstSpan : line.ToArray();
        if (bytes.Length > 0 && bytes[^1] == (byte)'\r')
        {
            bytes = bytes[..^1];
        }

        if (!bytes.StartsWith(DataPrefix))
        {
            return null;
        }

        bytes = bytes[DataPrefix.Length..];
        if (bytes.Length > 0 && bytes[0] == (byte)' ')
        {
            bytes = bytes[1..];
        }

        return bytes.ToArray();
    }
}
