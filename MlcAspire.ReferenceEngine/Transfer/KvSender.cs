using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace MlcAspire.ReferenceEngine.Transfer;

/// <summary>Pushes KV rows into the slots of the engine that owns a PE, and waits for it to acknowledge them.</summary>
internal sealed class KvSender(NvshmemWorld world)
{
    /// <returns>Null when the receiver holds the rows, else why not.</returns>
    public async ValueTask<string?> SendAsync(int recvRank, long[] slots, float[] rows, int rowFloats, CancellationToken cancellationToken)
    {
        if (!world.TryGetPeer(recvRank, out var peer))
        {
            return world.IsJoined
                ? $"remote_send: recv_rank {recvRank} is not a PE of this NVSHMEM world."
                : "remote_send: this engine is in no NVSHMEM world (MLC_NVSHMEM_INIT_CONFIG_JSON_STR is not set).";
        }

        try
        {
            using var client = new TcpClient { NoDelay = true };
            await client.ConnectAsync(peer, cancellationToken);
            var stream = client.GetStream();
            var header = new byte[KvWireFormat.HeaderBytes];
            BinaryPrimitives.WriteInt32LittleEndian(header, KvWireFormat.Magic);
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), rowFloats);
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), slots.Length);
            await stream.WriteAsync(header, cancellationToken);
            await stream.WriteAsync(MemoryMarshal.AsBytes(slots.AsSpan()).ToArray(), cancellationToken);
            await stream.WriteAsync(MemoryMarshal.AsBytes(rows.AsSpan()).ToArray(), cancellationToken);
            var answer = new byte[1];
            await stream.ReadExactlyAsync(answer, cancellationToken);
            return answer[0] == KvWireFormat.Accepted
                ? null
                : $"remote_send: PE {recvRank} refused the KV rows (its slots are not reserved by a matching prep_recv).";
        }
        catch (Exception ex) when (ex is SocketException or IOException or EndOfStreamException)
        {
            return $"remote_send: pushing KV to PE {recvRank} failed: {ex.Message}";
        }
    }
}
