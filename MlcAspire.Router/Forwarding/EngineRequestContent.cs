using System.Net;
using System.Net.Http.Headers;

namespace MlcAspire.Router.Forwarding;

/// <summary>
/// An engine call's JSON body that knows whether it was handed whole to the connection. Until it was, no engine can
/// have read the request, so a failure then is provably before any engine work: the one kind of fault the relay may
/// retry on another engine.
/// </summary>
internal sealed class EngineRequestContent : HttpContent
{
    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json");

    private readonly ReadOnlyMemory<byte> _json;
    private int _written;

    public EngineRequestContent(ReadOnlyMemory<byte> json)
    {
        _json = json;
        Headers.ContentType = JsonMediaType;
    }

    /// <summary>The whole body went to the connection (it may still sit in a send buffer: counted as sent all the same).</summary>
    public bool Written => Volatile.Read(ref _written) == 1;

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(_json, cancellationToken);
        Volatile.Write(ref _written, 1);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = _json.Length;
        return true;
    }
}
