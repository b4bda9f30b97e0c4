using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MlcAspire.ReferenceEngine.Cli;
using MlcAspire.ReferenceEngine.Telemetry;

namespace MlcAspire.ReferenceEngine.Transfer;

/// <summary>
/// This engine's place in the NVSHMEM-like world. When <c>MLC_NVSHMEM_INIT_CONFIG_JSON_STR</c> is set, start-up
/// opens the KV receiver, registers this engine's PEs with the bootstrap root named by the uid, and blocks until
/// every PE has joined (init is collective), so <c>/v1/models</c> answers only once the world exists.
/// </summary>
internal sealed class NvshmemWorld(EngineOptions options, KvReceiver receiver, ILogger<NvshmemWorld> logger) : IHostedService
{
    public const string InitConfigVariable = "MLC_NVSHMEM_INIT_CONFIG_JSON_STR";

    private Dictionary<int, IPEndPoint> _peers = [];

    public bool IsJoined { get; private set; }

    public bool TryGetPeer(int pe, [MaybeNullWhen(false)] out IPEndPoint peer) => _peers.TryGetValue(pe, out peer);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var json = Environment.GetEnvironmentVariable(InitConfigVariable);
        if (string.IsNullOrWhiteSpace(json))
        {
            return;
        }

        var config = JsonSerializer.Deserialize(json, TransferJsonContext.Default.NvshmemInitConfig)
            ?? throw new InvalidDataException($"{InitConfigVariable} holds null.");
        var root = NvshmemUid.Decode(config.Uid);
        var bindAddress = IPAddress.TryParse(options.Host, out var address) ? address : IPAddress.Loopback;
        var receiveAt = receiver.Start(bindAddress);
        var join = new WorldJoin(config.Npes, config.PeStart, options.Overrides.TensorParallelShards, receiveAt.ToString());
        EngineLog.JoiningWorld(logger, config.PeStart, config.Npes, root.ToString());

        using var client = new TcpClient();
        await client.ConnectAsync(root, cancellationToken);
        var stream = client.GetStream();
        await using var writer = new StreamWriter(stream) { AutoFlush = true };
        using var reader = new StreamReader(stream);
        await writer.WriteLineAsync(JsonSerializer.Serialize(join, TransferJsonContext.Default.WorldJoin).AsMemory(), cancellationToken);
        var line = await reader.ReadLineAsync(cancellationToken)
            ?? throw new InvalidOperationException("The NVSHMEM bootstrap root closed the connection before the world formed.");
        var table = JsonSerializer.Deserialize(line, TransferJsonContext.Default.WorldTable)!;
        if (table.Error is not null || table.Peers is null)
        {
            throw new InvalidOperationException("NVSHMEM init failed: " + table.Error);
        }

        _peers = table.Peers.ToDictionary(peer => peer.Pe, peer => IPEndPoint.Parse(peer.Address));
        IsJoined = true;
        EngineLog.JoinedWorld(logger, _peers.Count);
    }

    public Task StopAsync(CancellationToken cancellationToken) => receiver.DisposeAsync().AsTask();
}
