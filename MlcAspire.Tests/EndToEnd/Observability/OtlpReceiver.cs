using System.Buffers.Binary;
using System.Net;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MlcAspire.Tests.EndToEnd.Observability;

/// <summary>
/// A real OTLP/gRPC receiver (what the Aspire dashboard listens with, and the protocol the services export by
/// default) on 127.0.0.1:0, cleartext HTTP/2. It decodes just enough of <c>ExportTraceServiceRequest</c> (trace and
/// span ids, parent, name, kind, attributes, the resource's <c>service.name</c>) and acknowledges metrics and logs.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private const string TraceExportPath = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

    private readonly WebApplication _app;
    private readonly Lock _lock = new();
    private readonly List<ReceivedSpan> _spans = [];
    private readonly Channel<bool> _arrivals = Channel.CreateUnbounded<bool>();

    private OtlpReceiver(WebApplication app) => _app = app;

    public Uri Endpoint { get; private set; } = null!;

    public static async Task<OtlpReceiver> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/{**service}", receiver.HandleAsync);
        await app.StartAsync(cancellationToken);
        receiver.Endpoint = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        return receiver;
    }

    /// <summary>Waits until the spans received so far satisfy <paramref name="done"/>, re-checking on every export.</summary>
    public async Task<IReadOnlyList<ReceivedSpan>> WaitForSpansAsync(Func<IReadOnlyList<ReceivedSpan>, bool> done, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(timeout);
        while (true)
        {
            var spans = Snapshot();
            if (done(spans))
            {
                return spans;
            }

            await _arrivals.Reader.ReadAsync(budget.Token);
        }
    }

    private IReadOnlyList<ReceivedSpan> Snapshot()
    {
        lock (_lock)
        {
            return [.. _spans];
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        if (context.Request.Path == TraceExportPath)
        {
            // gRPC framing: 1 byte compressed flag (the exporter does not compress), 4 bytes big-endian length.
            var frame = body.ToArray();
            var message = frame.AsMemory(5, (int)BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(1, 4)));
            var spans = ReadTraces(message);
            lock (_lock)
            {
                _spans.AddRange(spans);
            }

            _arrivals.Writer.TryWrite(true);
        }

        context.Response.ContentType = "application/grpc";
        await context.Response.Body.WriteAsync(new byte[5], context.RequestAborted);
        context.Response.AppendTrailer("grpc-status", "0");
    }

    private static List<ReceivedSpan> ReadTraces(ReadOnlyMemory<byte> request)
    {
        var spans = new List<ReceivedSpan>();
        foreach (var (field, resourceSpans) in Fields(request))
        {
            if (field != 1)
            {
                continue;
            }

            var service = "";
            foreach (var (part, value) in Fields(resourceSpans.Bytes))
            {
                if (part == 1)
                {
                    service = Attributes(value.Bytes, 1).GetValueOrDefault("service.name") as string ?? "";
                }
                else if (part == 2)
                {
                    spans.AddRange(Fields(value.Bytes).Where(f => f.Field == 2).Select(f => ReadSpan(service, f.Value.Bytes)));
                }
            }
        }

        return spans;
    }

    private static ReceivedSpan ReadSpan(string service, ReadOnlyMemory<byte> span)
    {
        string traceId = "", spanId = "", parentId = "", name = "";
        var kind = 0;
        foreach (var (field, value) in Fields(span))
        {
            switch (field)
            {
                case 1: traceId = Convert.ToHexStringLower(value.Bytes.Span); break;
                case 2: spanId = Convert.ToHexStringLower(value.Bytes.Span); break;
                case 4: parentId = Convert.ToHexStringLower(value.Bytes.Span); break;
                case 5: name = Encoding.UTF8.GetString(value.Bytes.Span); break;
                case 6: kind = (int)value.Number; break;
            }
        }

        return new ReceivedSpan(service, traceId, spanId, parentId, name, kind, Attributes(span, 9));
    }

    /// <summary>The <c>KeyValue</c> entries in field <paramref name="field"/>: strings, bools, ints and doubles.</summary>
    private static Dictionary<string, object?> Attributes(ReadOnlyMemory<byte> message, int field)
    {
        var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (number, keyValue) in Fields(message))
        {
            if (number != field)
            {
                continue;
            }

            var key = "";
            object? item = null;
            foreach (var (part, value) in Fields(keyValue.Bytes))
            {
                if (part == 1)
                {
                    key = Encoding.UTF8.GetString(value.Bytes.Span);
                }
                else if (part == 2)
                {
                    foreach (var (kind, any) in Fields(value.Bytes))
                    {
                        item = kind switch
                        {
                            1 => Encoding.UTF8.GetString(any.Bytes.Span),
                            2 => any.Number != 0,
                            3 => (long)any.Number,
                            4 => BitConverter.UInt64BitsToDouble(any.Number),
                            _ => item,
                        };
                    }
                }
            }

            attributes[key] = item;
        }

        return attributes;
    }

    /// <summary>The fields of a protobuf message: varint and fixed numbers in Number, length-delimited in Bytes.</summary>
    private static List<(int Field, WireValue Value)> Fields(ReadOnlyMemory<byte> message)
    {
        var fields = new List<(int, WireValue)>();
        var span = message.Span;
        var position = 0;
        while (position < span.Length)
        {
            var tag = ReadVarint(span, ref position);
            var (field, wireType) = ((int)(tag >> 3), (int)(tag & 7));
            switch (wireType)
            {
                case 0:
                    fields.Add((field, new WireValue(ReadVarint(span, ref position), default)));
                    break;
                case 1:
                    fields.Add((field, new WireValue(BinaryPrimitives.ReadUInt64LittleEndian(span[position..]), default)));
                    position += 8;
                    break;
                case 2:
                    var length = (int)ReadVarint(span, ref position);
                    fields.Add((field, new WireValue(0, message.Slice(position, length))));
                    position += length;
                    break;
                case 5:
                    fields.Add((field, new WireValue(BinaryPrimitives.ReadUInt32LittleEndian(span[position..]), default)));
                    position += 4;
                    break;
                default:
                    throw new InvalidDataException($"Unsupported protobuf wire type {wireType}.");
            }
        }

        return fields;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> span, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = span[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private readonly record struct WireValue(ulong Number, ReadOnlyMemory<byte> Bytes);
}

/// <summary>One span as an OTLP exporter sent it; <see cref="Kind"/> is OTLP's SpanKind (2 server, 3 client).</summary>
internal sealed record ReceivedSpan(
    string Service, string TraceId, string SpanId, string ParentSpanId, string Name, int Kind, IReadOnlyDictionary<string, object?> Attributes)
{
    public object? this[string attribute] => Attributes.GetValueOrDefault(attribute);
}
