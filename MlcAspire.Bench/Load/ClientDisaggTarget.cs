using System.Net.Http.Headers;
using System.Text.Json;

namespace MlcAspire.Bench.Load;

/// <summary>The engines' own prefill/decode handoff with no router: the client itself calls
/// <c>prep_recv</c> on the decode engine, <c>remote_send</c> on the prefill engine and <c>start_generate</c> on the
/// decode engine (mlc-protocol.md §4). Its TTFT is the engines' prefill + KV transfer time, the baseline that the router's
/// disagg TTFT is compared with.</summary>
internal sealed class ClientDisaggTarget(string name, string model, Uri prefillEngine, Uri decodeEngine, int decodePeStart, HttpClient http)
    : ILoadTarget
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly Uri _prepRecv = new(decodeEngine, "microserving/prep_recv");
    private readonly Uri _remoteSend = new(prefillEngine, "microserving/remote_send");
    private readonly Uri _startGenerate = new(decodeEngine, "microserving/start_generate");
    private long _requestCount;

    public string Name { get; } = name;

    public int? ProxyPid => null;

    public async ValueTask<RequestSample> SendAsync(RequestSpec spec, CancellationToken cancellationToken)
    {
        var startedAt = Stopwatch.GetTimestamp();
        var user = $"bench-{Environment.ProcessId}-{Interlocked.Increment(ref _requestCount)}";
        // At least one prompt token is left for the decode engine (mlc-protocol.md §4.2: end < len).
        var end = spec.PromptTokens.Length - 1;
        try
        {
            var prepared = await PostJsonAsync(_prepRecv, Body(spec, user, json => json.WriteNumber("end", end)), cancellationToken);
            if (prepared is null)
            {
                return RequestSample.Failed(RequestOutcome.HttpError, Stopwatch.GetTimestamp() - startedAt);
            }

            var (kvAddrInfo, prefixMatched) = prepared.Value;
            if (prefixMatched < end)
            {
                var sent = await PostJsonAsync(_remoteSend, Body(spec, user, json =>
                {
                    json.WriteNumber("begin", prefixMatched);
                    json.WriteNumber("end", end);
                    json.WriteString("kv_addr_info", kvAddrInfo);
                    json.WriteNumber("recv_rank", decodePeStart);
                }), cancellationToken);
                if (sent is null)
                {
                    return RequestSample.Failed(RequestOutcome.HttpError, Stopwatch.GetTimestamp() - startedAt);
                }
            }

            var generate = Body(spec, user, json => json.WriteNumber("begin", end));
            return await CompletionsTarget.PostCompletionAsync(http, _startGenerate, generate, spec.Stream, spec.RecordChunkTimes, startedAt, cancellationToken);
        }
        catch (HttpRequestException)
        {
            return RequestSample.Failed(RequestOutcome.TransportError, Stopwatch.GetTimestamp() - startedAt);
        }
    }

    private byte[] Body(RequestSpec spec, string user, Action<Utf8JsonWriter> extra) =>
        CompletionBody.Write(model, spec.PromptTokens, spec.MaxTokens, spec.Stream, json =>
        {
            json.WriteString("user", user);
            // The MicroServing endpoints assign into debug_config, so it must be an object (mlc-protocol.md §4.1).
            json.WriteStartObject("debug_config");
            json.WriteEndObject();
            extra(json);
        });

    /// <summary>Posts a non-streamed MicroServing call; returns the prep_recv fields (empty for remote_send's <c>{}</c>),
    /// or null on a non-2xx answer.</summary>
    private async Task<(string KvAddrInfo, int PrefixMatched)?> PostJsonAsync(Uri url, byte[] body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = Json;
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }

        await using var content = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var json = await JsonDocument.ParseAsync(content, cancellationToken: cancellationToken);
        var root = json.RootElement;
        return (
            root.TryGetProperty("kv_append_metadata", out var metadata) ? metadata.GetString() ?? "" : "",
            root.TryGetProperty("prefix_matched_length", out var matched) ? matched.GetInt32() : 0);
    }
}
