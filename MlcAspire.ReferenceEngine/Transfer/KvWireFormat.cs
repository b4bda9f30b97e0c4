namespace MlcAspire.ReferenceEngine.Transfer;

/// <summary>
/// One KV push over TCP: a header <c>(magic, row_floats, row_count)</c> as int32 LE, <c>row_count</c> int64 LE
/// slots, then the rows as float32 LE. The receiver answers one byte: <see cref="Accepted"/> or
/// <see cref="Refused"/>.
/// </summary>
internal static class KvWireFormat
{
    public const int Magic = 0x4B56524D;
    public const byte Accepted = 1;
    public const byte Refused = 0;
    public const int HeaderBytes = 12;
}
