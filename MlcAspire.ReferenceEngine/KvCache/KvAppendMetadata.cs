using System.Buffers.Binary;
using System.Text;

namespace MlcAspire.ReferenceEngine.KvCache;

/// <summary>
/// The <c>kv_append_metadata</c> string of mlc-protocol.md §4.6: <c>base64(u64_le(len(J)) ‖ J)</c> where J is the compact
/// JSON array <c>[nseg, slot_0, len_0, …]</c> of D's slots for the received window (one model).
/// </summary>
internal static class KvAppendMetadata
{
    /// <summary>Encodes the slots of consecutive positions, merging runs of adjacent slots into segments.</summary>
    public static string Encode(IReadOnlyList<long> slots)
    {
        var segments = new List<(long Slot, int Length)>();
        foreach (var slot in slots)
        {
            if (segments.Count > 0 && segments[^1].Slot + segments[^1].Length == slot)
            {
                segments[^1] = (segments[^1].Slot, segments[^1].Length + 1);
            }
            else
            {
                segments.Add((slot, 1));
            }
        }

        var json = "[" + string.Join(',', segments.SelectMany(s => new[] { s.Slot, (long)s.Length }).Prepend(segments.Count)) + "]";
        var body = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + body.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)body.Length);
        body.CopyTo(bytes, 8);
        return Convert.ToBase64String(bytes);
    }

    /// <summary>
    /// Decodes the slots of a window of <paramref name="windowLength"/> positions, one per position, or null with the
    /// reason when the metadata is malformed or does not cover exactly that window.
    /// </summary>
    /// <remarks>
    /// The segments come from another process, so they are checked against the window before any is expanded: a
    /// hostile length such as <c>[1,0,2000000000]</c> is refused instead of allocating billions of slots.
    /// </remarks>
    public static long[]? TryDecode(string encoded, int windowLength, out string? error)
    {
        error = null;
        try
        {
            var bytes = Convert.FromBase64String(encoded);
            if (bytes.Length < 8 || BinaryPrimitives.ReadUInt64LittleEndian(bytes) != (ulong)(bytes.Length - 8))
            {
                error = "kv_append_metadata: the length prefix does not match the payload.";
                return null;
            }

            var values = Encoding.UTF8.GetString(bytes, 8, bytes.Length - 8).Trim('[', ']')
                .Split(',', StringSplitOptions.RemoveEmptyEntries)
                .Select(long.Parse)
                .ToArray();
            if (values.Length == 0 || values[0] < 0 || values[0] > windowLength || values.Length != 1 + 2 * values[0])
            {
                error = $"kv_append_metadata: expected [nseg, slot, len, …] for exactly one model, with at most {windowLength} segments.";
                return null;
            }

            var covered = 0L;
            for (var segment = 0; segment < values[0]; segment++)
            {
                var (start, length) = (values[1 + 2 * segment], values[2 + 2 * segment]);
                if (start < 0 || length <= 0 || length > windowLength || start > long.MaxValue - length)
                {
                    error = $"kv_append_metadata: segment {segment} (slot {start}, length {length}) is not a slot range of the window.";
                    return null;
                }

                covered += length;
            }

            if (covered != windowLength)
            {
                error = $"kv_append_metadata: the segments cover {covered} slots but the window has {windowLength} positions.";
                return null;
            }

            var slots = new long[windowLength];
            var next = 0;
            for (var segment = 0; segment < values[0]; segment++)
            {
                var (start, length) = (values[1 + 2 * segment], values[2 + 2 * segment]);
                for (var i = 0; i < length; i++)
                {
                    slots[next++] = start + i;
                }
            }

            return slots;
        }
        catch (Exception ex) when (ex is FormatException or OverflowException)
        {
            error = "kv_append_metadata is not valid: " + ex.Message;
            return null;
        }
    }
}
