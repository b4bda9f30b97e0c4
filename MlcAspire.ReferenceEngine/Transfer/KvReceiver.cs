using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using MlcAspire.ReferenceEngine.KvCache;
using MlcAspire.ReferenceEngine.Telemetry;

namespace MlcAspire.ReferenceEngine.Transfer;

/// <summary>
/// Accepts KV rows pushed by prefill engines and writes them straight into this engine's reserved slots, the
/// one-sided write NVSHMEM does on a GPU. The engine loop is not involved. A push that names any slot no parked
/// <c>prep_recv</c> reserved is refused whole (see <see cref="PagedKvCache.TryWriteReceivedRow"/>).
/// </summary>
internal sealed class KvReceiver(PagedKvCache cache, ILogger<KvReceiver> logger) : IAsyncDisposable
{
    private TcpListener? _listener;
    private readonly CancellationTokenSource _stopping = new();
    private Task _accepting = Task.CompletedTask;
    private int _disposed;

    public IPEndPoint Start(IPAddress address)
    {
        _listener = new TcpListener(address, 0);
        _listener.Start();
        _accepting = AcceptAsync(_listener, _stopping.Token);
        return (IPEndPoint)_listener.LocalEndpoint;
    }

    public async ValueTask DisposeAsync()
    {
        // Stopped twice: by the world (a hosted service) at shutdown, then by the container that owns it.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync();
        _listener?.Stop();
        await _accepting;
        _stopping.Dispose();
    }

    private async Task AcceptAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var client = await listener.AcceptTcpClientAsync(cancellationToken);
                _ = ReceiveAsync(client, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task ReceiveAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var header = new byte[KvWireFormat.HeaderBytes];
                await stream.ReadExactlyAsync(header, cancellationToken);
                var magic = BinaryPrimitives.ReadInt32LittleEndian(header);
                var rowFloats = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(4));
                var rowCount = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8));
                if (magic != KvWireFormat.Magic || rowFloats != cache.RowFloats || rowCount < 0 || rowCount > cache.PageCount * PagedKvCache.PageSize)
                {
                    EngineLog.KvRowsRefused(logger, rowCount, "the header does not match this engine's KV layout");
                    stream.WriteByte(KvWireFormat.Refused);
                    return;
                }

                // The wire is little-endian, like every machine this engine runs on, so rows are read in place.
                var slots = new long[rowCount];
                var rows = new float[rowCount * rowFloats];
                await ReadExactlyAsync(stream, slots, cancellationToken);
                await ReadExactlyAsync(stream, rows, cancellationToken);
                // Every slot is checked before any row is written, so a refused push leaves no partial write behind.
                // Which parked request a reserved slot belongs to is not checked: NVSHMEM writes wherever it is told.
                var accepted = slots.All(cache.CanReceive);
                for (var i = 0; i < rowCount && accepted; i++)
                {
                    accepted = cache.TryWriteReceivedRow(slots[i], rows.AsSpan(i * rowFloats, rowFloats));
                }

                if (!accepted)
                {
                    EngineLog.KvRowsRefused(logger, rowCount, "a slot is not reserved by a parked prep_recv");
                }

                stream.WriteByte(accepted ? KvWireFormat.Accepted : KvWireFormat.Refused);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or EndOfStreamException)
            {
                EngineLog.KvReceiveFailed(logger, ex);
            }
        }
    }

    private static async Task ReadExactlyAsync<T>(NetworkStream stream, T[] target, CancellationToken cancellationToken)
        where T : unmanaged
    {
        var buffer = new byte[MemoryMarshal.AsBytes(target.AsSpan()).Length];
        await stream.ReadExactlyAsync(buffer, cancellationToken);
        buffer.AsSpan().CopyTo(MemoryMarshal.AsBytes(target.AsSpan()));
    }
}
