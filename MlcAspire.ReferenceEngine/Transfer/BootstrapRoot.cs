using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace MlcAspire.ReferenceEngine.Transfer;

/// <summary>
/// The bootstrap root of the reference engine's NVSHMEM-like world (<c>--nvshmem-uid</c> mode): engines join
/// with their PEs and KV-transfer address; once all <c>npes</c> PEs have joined, every engine gets the full
/// PE table. A root serves one world after another until it is stopped.
/// </summary>
internal sealed class BootstrapRoot(TextWriter log)
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<(WorldJoin Join, StreamWriter Writer, TcpClient Client)> _joined = [];
    private readonly SemaphoreSlim _gate = new(1, 1);

    public IPEndPoint Start()
    {
        _listener.Start();
        return (IPEndPoint)_listener.LocalEndpoint;
    }

    public async Task ServeAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(cancellationToken);
                _ = HandleAsync(client, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _listener.Stop();
        }
    }

    private async Task HandleAsync(TcpClient client, CancellationToken cancellationToken)
    {
        var stream = client.GetStream();
        var reader = new StreamReader(stream);
        var writer = new StreamWriter(stream) { AutoFlush = true };
        var line = await reader.ReadLineAsync(cancellationToken);
        var join = line is null ? null : JsonSerializer.Deserialize(line, TransferJsonContext.Default.WorldJoin);
        if (join is null)
        {
            client.Dispose();
            return;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            _joined.Add((join, writer, client));
            await log.WriteLineAsync($"PEs {join.PeStart}..{join.PeStart + join.NumPes - 1} joined from {join.Address}");
            var pes = _joined.SelectMany(j => Enumerable.Range(j.Join.PeStart, j.Join.NumPes)).ToList();
            string? error = null;
            if (pes.Count != pes.Distinct().Count())
            {
                error = "Two engines claim the same PE.";
            }
            else if (_joined.Any(j => j.Join.Npes != join.Npes) || pes.Any(pe => pe < 0 || pe >= join.Npes))
            {
                error = "Engines disagree on npes or claim a PE outside [0, npes).";
            }
            else if (pes.Count < join.Npes)
            {
                return;
            }

            var table = error is null
                ? new WorldTable([.. _joined.SelectMany(j => Enumerable.Range(j.Join.PeStart, j.Join.NumPes).Select(pe => new WorldPeer(pe, j.Join.Address)))], null)
                : new WorldTable(null, error);
            var answer = JsonSerializer.Serialize(table, TransferJsonContext.Default.WorldTable);
            foreach (var member in _joined)
            {
                await member.Writer.WriteLineAsync(answer.AsMemory(), cancellationToken);
                member.Client.Dispose();
            }

            _joined.Clear();
        }
        finally
        {
            _gate.Release();
        }
    }
}
