using System.Net;

namespace MlcAspire.ReferenceEngine.Transfer;

/// <summary>
/// The NVSHMEM-style unique id: 125 int64 values, <c>[version, 124 signed bytes]</c> like
/// <c>nvshmemx_get_uniqueid</c>'s, where the bytes carry a magic and the bootstrap root's IPv4 address and port.
/// </summary>
internal static class NvshmemUid
{
    /// <summary>(1 &lt;&lt; 16) + 128, the version NVSHMEM writes.</summary>
    public const long Version = 65664;

    private const int InternalLength = 124;
    private static readonly byte[] Magic = "MLCREF01"u8.ToArray();

    public static long[] Encode(IPEndPoint root)
    {
        var bytes = new byte[InternalLength];
        Magic.CopyTo(bytes, 0);
        root.Address.MapToIPv4().GetAddressBytes().CopyTo(bytes, Magic.Length);
        bytes[Magic.Length + 4] = (byte)(root.Port >> 8);
        bytes[Magic.Length + 5] = (byte)root.Port;
        return [Version, .. bytes.Select(b => (long)(sbyte)b)];
    }

    public static IPEndPoint Decode(IReadOnlyList<long> uid)
    {
        if (uid.Count != InternalLength + 1 || uid[0] != Version)
        {
            throw new InvalidDataException($"The NVSHMEM uid must be {InternalLength + 1} integers starting with {Version}.");
        }

        var bytes = uid.Skip(1).Select(value => (byte)(sbyte)value).ToArray();
        if (!bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw new InvalidDataException("The NVSHMEM uid was not made by a reference engine's --nvshmem-uid.");
        }

        var address = new IPAddress(bytes.AsSpan(Magic.Length, 4));
        return new IPEndPoint(address, (bytes[Magic.Length + 4] << 8) | bytes[Magic.Length + 5]);
    }
}
