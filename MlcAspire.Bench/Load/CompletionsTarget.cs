using System.Net.Http.Headers;

namespace MlcAspire.Bench.Load;

/// <summary>
/// Sends <c>POST {baseUrl}/v1/completions</c> to a router or nginx, or straight to the engines, taking them in turn:
/// "direct" spreads its requests over the same engines the proxies spread theirs over, so that the difference
/// between a proxy and direct is the proxy's own cost, not the queueing of one engine against two.
/// </summary>
internal sealed class CompletionsTarget(string name, IReadOnlyList<Uri> baseUrls, int? proxyPid, HttpClient http) : ILoadTarget
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly Uri[] _completions = [.. baseUrls.Select(url => new Uri(url, "v1/completions"))];
    private uint _next;

    public string Name { get; } = name;

    public int? ProxyPid { get; } = proxyPid;

    public ValueTask<RequestSample> SendAsync(RequestSpec spec, CancellationToken cancellationToken)
    {
        var url = _completions[Interlocked.Increment(ref _next) % _completions.Length];
        return PostCompletionAsync(http, url, spec.Body, spec.Stream, spec.RecordChunkTimes, Stopwatch.GetTimestamp(), cancellationToken);
    }

    /// <summary>Posts a completion body and measures it from <paramref name="startedAt"/>.</summary>
    public static async ValueTask<RequestSample> PostCompletionAsync(
        HttpClient http, Uri url, byte[] body, bool stream, bool recordChunkTimes, long startedAt, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(BenchHttp.RequestTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = Json;
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                return RequestSample.Failed(RequestOutcome.HttpError, Stopwatch.GetTimestamp() - startedAt);
            }

            await using var content = await response.Content.ReadAsStreamAsync(timeout.Token);
            var scan = await ResponseScanner.ReadAsync(content, startedAt, stream, recordChunkTimes, timeout.Token);
            var end = Stopwatch.GetTimestamp();
            var outcome = scan.Error ? RequestOutcome.StreamError : scan.Done ? RequestOutcome.Ok : RequestOutcome.Truncated;
            var tokens = scan.UsageCompletionTokens >= 0 ? scan.UsageCompletionTokens : scan.Chunks;
            return stream
                ? new(outcome, scan.Chunks > 0 ? scan.FirstTokenAt - startedAt : end - startedAt, end - startedAt, tokens,
                    scan.Chunks, scan.Chunks > 0 ? scan.ChunkLatencySum / scan.Chunks : 0, outcome == RequestOutcome.Ok ? scan.Receipt : null)
                : new(outcome, end - startedAt, end - startedAt, tokens, 0, 0);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return RequestSample.Failed(RequestOutcome.Timeout, Stopwatch.GetTimestamp() - startedAt);
        }
        catch (HttpRequestException)
        {
            return RequestSample.Failed(RequestOutcome.TransportError, Stopwatch.GetTimestamp() - startedAt);
        }
        catch (IOException)
        {
            return RequestSample.Failed(RequestOutcome.TransportError, Stopwatch.GetTimestamp() - startedAt);
        }
    }
}
