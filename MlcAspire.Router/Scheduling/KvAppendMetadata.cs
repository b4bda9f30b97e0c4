using System.Buffers.Binary;

namespace MlcAspire.Router.Scheduling;

/// <summary>
/// The decoded <c>kv_append_metadata</c> of prep_recv: <c>base64(u64_le(len(J)) ‖ J)</c> where J is the compact JSON
/// array <c>[nseg, slot_0, len_0, …]</c> concatenated over models (mlc-protocol.md §4.6).
/// </summary>
public sealed record KvAppendMetadata(IReadOnlyList<(long Slot, int Length)> Segments)
{
    /// <summary>The number of KV slots reserved for the first model: the resolved end minus the matched prefix.</summary>
    public int SlotCount { get; } = Segments.Sum(segment => segment.Length);

    /// <summary>Decodes the value; null with a reason when it is not in the engine's encoding.</summary>
    public static (KvAppendMetadata? Metadata, string? Error) Decode(string value)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(value);
        }
        catch (FormatException)
        {
            return (null, "kv_append_metadata is not base64.");
        }

        if (bytes.Length < sizeof(ulong))
        {
            return (null, "kv_append_metadata is shorter than its length prefix.");
        }

        var length = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (length != (ulong)(bytes.Length - sizeof(ulong)))
        {
            return (null, $"kv_append_metadata's length prefix says {length} bytes, but {bytes.Length - sizeof(ulong)} follow.");
        }

        long[]? numbers;
        try
        {
            numbers = JsonSerializer.Deserialize(bytes.AsSpan(sizeof(ulong)), RouterJsonContext.Default.Int64Array);
        }
        catch (JsonException)
        {
            return (null, "kv_append_metadata does not hold a JSON array of integers.");
        }

        // Only the first model's entry matters: the router runs one model; further entries follow it.
        if (numbers is not { Length: > 0 } || numbers[0] < 0 || 1 + (2 * numbers[0]) > numbers.Length)
        {
            return (null, "kv_append_metadata's segment count does not match its entries.");
        }

        var segments = new List<(long, int)>((int)numbers[0]);
        for (var i = 0; i < numbers[0]; i++)
        {
            var slot = numbers[1 + (2 * i)];
            var segmentLength = numbers[2 + (2 * i)];
            if (slot < 0 || segmentLength < 0 || segmentLength > int.MaxValue)
            {
                return (null, "kv_append_metadata holds a negative slot or length.");
            }

            segments.Add((slot, (int)segmentLength));
        }

        return (new KvAppendMetadata(segments), null);
    }
}
