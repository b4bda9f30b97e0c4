using System.Globalization;
using System.Text;
using MlcAspire.ReferenceEngine.Serving;

namespace MlcAspire.ReferenceEngine.Apis;

/// <summary>
/// <c>GET /metrics</c>: Prometheus text, without authentication as in MLC. Besides the usual counters it shows the
/// KV cache and queue state, so tests can see reserved, parked and leaked state over HTTP.
/// </summary>
internal static class MetricsApi
{
    public static RouteHandlerBuilder MapMetricsApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/metrics", GetMetrics).WithName("Metrics").WithSummary("Engine metrics in the Prometheus text format.");

    public static IResult GetMetrics(EngineMailbox mailbox)
    {
        var stats = mailbox.Stats ?? new EngineStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        var text = new StringBuilder();
        Gauge(text, "mlc_reference_kv_pages_total", "KV cache pages (16 positions each).", stats.PagesTotal);
        Gauge(text, "mlc_reference_kv_pages_free", "KV cache pages nobody holds.", stats.PagesFree);
        Gauge(text, "mlc_reference_kv_pages_used", "KV cache pages held by requests (running, waiting, parked or reserving).", stats.PagesUsed);
        Gauge(text, "mlc_reference_kv_pages_cached", "KV cache pages held only by the prefix cache (evictable).", stats.PagesCached);
        Gauge(text, "mlc_reference_running_requests", "Requests being prefilled or decoded.", stats.RunningRequests);
        Gauge(text, "mlc_reference_waiting_requests", "Requests queued for admission.", stats.WaitingRequests);
        Gauge(text, "mlc_reference_parked_requests", "prep_recv requests parked until start_generate.", stats.ParkedRequests);
        Gauge(text, "mlc_reference_pending_receives", "prep_recv requests waiting for free pages.", stats.PendingReceives);
        Counter(text, "mlc_reference_prefill_tokens_total", "Prompt tokens computed.", stats.PrefillTokensTotal);
        Counter(text, "mlc_reference_decode_tokens_total", "Tokens computed while decoding.", stats.DecodeTokensTotal);
        Counter(text, "mlc_reference_preemptions_total", "Requests preempted because pages ran out.", stats.PreemptionsTotal);
        Counter(text, "mlc_reference_requests_total", "Requests submitted to the engine loop.", stats.RequestsTotal);
        return TypedResults.Text(text.ToString(), "text/plain; version=0.0.4; charset=utf-8");
    }

    private static void Gauge(StringBuilder text, string name, string help, long value) => Write(text, name, help, "gauge", value);

    private static void Counter(StringBuilder text, string name, string help, long value) => Write(text, name, help, "counter", value);

    private static void Write(StringBuilder text, string name, string help, string type, long value) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n{name} {value}\n");
}
