using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using MlcAspire.Tests.EndToEnd.Chat;

namespace MlcAspire.Tests.EndToEnd.Observability;

/// <summary>Traces across the router and both engines, the router's Prometheus metrics, and what the logs never show.</summary>
[Trait("Category", "EndToEnd")]
public sealed class ObservabilityTests(ObservabilityFixture fixture) : IClassFixture<ObservabilityFixture>
{
    private const string Prompt = "The quick brown fox jumps over the lazy dog near the quiet river bank";
    private static readonly TimeSpan ExportTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task DisaggregatedRequest_YieldsOneTrace_WithRouterSpanEngineCallSpansAndEnginePhaseSpans()
    {
        var token = TestContext.Current.CancellationToken;
        using var client = fixture.App.CreateHttpClient("router");

        var (id, usage) = await CompleteAsync(client, Prompt, token);

        var spans = await fixture.Receiver.WaitForSpansAsync(received =>
            RouterSpan(received, id) is { } root
            && received.Count(s => s.TraceId == root.TraceId && s.Name is "engine.decode" or "engine.kv_send" or "engine.kv_receive") == 3,
            ExportTimeout, token);
        var router = RouterSpan(spans, id)!;
        var trace = spans.Where(s => s.TraceId == router.TraceId).ToList();
        var promptTokens = usage["prompt_tokens"]!.GetValue<int>();

        Assert.Single(trace, s => s.Service == "router" && s.Kind == 2);
        Assert.Equal("Success", router["mlc.outcome"]);
        Assert.Equal("Disagg", router["mlc.router.mode"]);
        Assert.Equal((long)promptTokens, router["gen_ai.usage.input_tokens"]);
        Assert.Equal((long)usage["completion_tokens"]!.GetValue<int>(), router["gen_ai.usage.output_tokens"]);
        Assert.IsType<double>(router["mlc.router.overhead_ms"]);

        var prepRecv = EngineCall(trace, router, "microserving/prep_recv", "engine-1", "decode", promptTokens);
        var remoteSend = EngineCall(trace, router, "microserving/remote_send", "engine-0", "prefill", promptTokens);
        var startGenerate = EngineCall(trace, router, "microserving/start_generate", "engine-1", "decode", promptTokens);
        var end = Assert.IsType<long>(remoteSend["mlc.kv.window.end"]);
        Assert.Equal(0L, prepRecv["mlc.kv.prefix_matched_length"]);
        Assert.Equal(prepRecv["mlc.kv.window.end"] is long prepEnd && prepEnd < 0 ? promptTokens + prepEnd : prepRecv["mlc.kv.window.end"], end);
        Assert.Equal(0L, remoteSend["mlc.kv.window.begin"]);
        Assert.Equal(1L, remoteSend["mlc.kv.recv_rank"]);
        Assert.Equal(end, startGenerate["mlc.kv.window.begin"]);
        Assert.Equal((long)usage["completion_tokens"]!.GetValue<int>(), startGenerate["gen_ai.usage.output_tokens"]);

        // The engines continue the trace (W3C traceparent from HttpClient): a server span under each call, phases below it.
        AssertEngineSpans(trace, prepRecv, "engine-1", ["engine.kv_receive"]);
        AssertEngineSpans(trace, remoteSend, "engine-0", ["engine.queue", "engine.prefill", "engine.kv_send"]);
        AssertEngineSpans(trace, startGenerate, "engine-1", ["engine.queue", "engine.prefill", "engine.decode"]);
        var kvReceive = trace.Single(s => s.Name == "engine.kv_receive");
        Assert.Equal(end, kvReceive["mlc.kv.window.end"]);
        Assert.Equal("Success", trace.Single(s => s.Name == "engine.kv_send")["mlc.outcome"]);
        Assert.Equal((long)usage["completion_tokens"]!.GetValue<int>(), trace.Single(s => s.Name == "engine.decode")["gen_ai.usage.output_tokens"]);
    }

    [Fact]
    public async Task Metrics_AfterKnownTraffic_CountRequestsAndTokens_AndActiveRequestsReturnToZero()
    {
        var token = TestContext.Current.CancellationToken;
        using var client = fixture.App.CreateHttpClient("router");
        var before = await client.GetStringAsync("/metrics", token);

        var usages = new List<JsonObject>();
        foreach (var prompt in (string[])["one two three four five six", "seven eight nine ten eleven twelve thirteen", Prompt])
        {
            usages.Add((await CompleteAsync(client, prompt, token)).Usage);
        }

        // Streamed without include_usage: the router asks its engine for usage all the same (and drops the chunk), so the
        // request is timed from its first token and its tokens count. Greedy, so its usage is the third answer's prefix.
        using var streamed = await PostAsync(client, new JsonObject { ["prompt"] = Prompt, ["max_tokens"] = 4, ["temperature"] = 0, ["stream"] = true }, token);
        var streamedBody = await streamed.Content.ReadAsStringAsync(token);
        Assert.EndsWith("data: [DONE]\n\n", streamedBody, StringComparison.Ordinal);
        Assert.DoesNotContain("\"usage\":{", streamedBody, StringComparison.Ordinal);
        usages.Add(new JsonObject
        {
            ["prompt_tokens"] = usages[2]["prompt_tokens"]!.GetValue<int>(),
            ["completion_tokens"] = Math.Min(4, usages[2]["completion_tokens"]!.GetValue<int>()),
        });
        using var rejected = await PostAsync(client, new JsonObject { ["prompt"] = "x", ["temperature"] = "hot" }, token);
        Assert.Equal(HttpStatusCode.BadRequest, rejected.StatusCode);

        var after = await client.GetStringAsync("/metrics", token);
        double Delta(string name, params string[] labels) => Sum(after, name, labels) - Sum(before, name, labels);

        Assert.Equal(4, Delta("mlcaspire_router_requests_total", "mlc_router_mode=\"Disagg\"", "mlc_outcome=\"Success\""));
        Assert.Equal(1, Delta("mlcaspire_router_requests_total", "mlc_router_mode=\"Disagg\"", "mlc_outcome=\"Rejected\""));
        Assert.Equal(4, Delta("gen_ai_server_request_duration_seconds_count"));
        // A non-streamed answer arrives whole: only the streamed request has a first token the router can time.
        Assert.Equal(1, Delta("gen_ai_server_time_to_first_token_seconds_count"));
        Assert.Equal(4, Delta("mlcaspire_router_overhead_seconds_count"));
        Assert.Equal(usages.Sum(u => u["prompt_tokens"]!.GetValue<int>()), Delta("gen_ai_client_token_usage_sum", "gen_ai_token_type=\"input\""));
        Assert.Equal(usages.Sum(u => u["completion_tokens"]!.GetValue<int>()), Delta("gen_ai_client_token_usage_sum", "gen_ai_token_type=\"output\""));
        Assert.Equal(4, Delta("gen_ai_client_token_usage_count", "gen_ai_token_type=\"output\"", "gen_ai_operation_name=\"text_completion\""));
        Assert.Equal(usages[3]["completion_tokens"]!.GetValue<int>() > 1 ? 1 : 0, Delta("gen_ai_server_time_per_output_token_seconds_count"));
        foreach (var operation in (string[])["microserving/prep_recv", "microserving/remote_send", "microserving/start_generate"])
        {
            Assert.Equal(4, Delta("mlcaspire_router_engine_calls_total", $"mlc_operation=\"{operation}\"", "mlc_outcome=\"Success\""));
            Assert.Equal(4, Delta("mlcaspire_router_engine_call_duration_seconds_count", $"mlc_operation=\"{operation}\""));
        }

        Assert.Equal(0, Sum(after, "mlcaspire_router_engine_active_requests", "mlc_engine=\"engine-0\"", "mlc_engine_role=\"prefill\""));
        Assert.Equal(0, Sum(after, "mlcaspire_router_engine_active_requests", "mlc_engine=\"engine-1\"", "mlc_engine_role=\"decode\""));
        Assert.Contains("mlcaspire_router_engine_active_requests{", after, StringComparison.Ordinal);
        Assert.Equal(1, Sum(after, "mlcaspire_router_engine_health", "mlc_engine=\"engine-0\"", "mlc_engine_state=\"closed\""));
        Assert.Equal(0, Sum(after, "mlcaspire_router_engine_health", "mlc_engine=\"engine-1\"", "mlc_engine_state=\"open\""));
    }

    [Fact]
    public async Task Metrics_AfterStreamedChatsWithoutUsage_HoldTimeToFirstTokenTimePerOutputTokenAndTokenUsage()
    {
        // Each conversation is answered whole first: greedy, so the stream after it has the same usage, which it does not show.
        var outputs = new List<int>();
        using var client = fixture.App.CreateHttpClient("router");
        var token = TestContext.Current.CancellationToken;
        var before = await client.GetStringAsync("/metrics", token);
        for (var i = 0; i < 2; i++)
        {
            var (_, answer) = await ChatCalls.PostAsync(client, ChatCalls.Body($"[metrics {i}]", maxTokens: 6, stream: false), token);
            outputs.Add(answer["usage"]!["completion_tokens"]!.GetValue<int>());
            var events = await ChatCalls.StreamAsync(client, ChatCalls.Body($"[metrics {i}]", maxTokens: 6, stream: true), token);
            Assert.DoesNotContain(events, data => data.Contains("\"usage\":{", StringComparison.Ordinal));
        }

        var after = await client.GetStringAsync("/metrics", token);
        double Delta(string name, params string[] labels) => Sum(after, name, labels) - Sum(before, name, labels);
        const string ChatOperation = "gen_ai_operation_name=\"chat\"";

        Assert.Equal(2, Delta("gen_ai_server_time_to_first_token_seconds_count", ChatOperation));
        Assert.Equal(outputs.Count(output => output > 1), Delta("gen_ai_server_time_per_output_token_seconds_count", ChatOperation));
        Assert.Equal(4, Delta("gen_ai_client_token_usage_count", ChatOperation, "gen_ai_token_type=\"output\""));
        Assert.Equal(2 * outputs.Sum(), Delta("gen_ai_client_token_usage_sum", ChatOperation, "gen_ai_token_type=\"output\""));
        Assert.True(Delta("gen_ai_client_token_usage_sum", ChatOperation, "gen_ai_token_type=\"input\"") > 0);
    }

    [Fact]
    public async Task PromptText_NeverAppearsInLogs_AtInformationLevel()
    {
        var token = TestContext.Current.CancellationToken;
        using var client = fixture.App.CreateHttpClient("router");
        var marker = "zebra" + Guid.NewGuid().ToString("N");

        await CompleteAsync(client, $"{Prompt} {marker}", token);
        using var streamed = await PostAsync(client, new JsonObject { ["prompt"] = $"{marker} {Prompt}", ["max_tokens"] = 4, ["stream"] = true }, token);
        Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
        Assert.EndsWith("data: [DONE]\n\n", await streamed.Content.ReadAsStringAsync(token), StringComparison.Ordinal);
        using var rejected = await PostAsync(client, new JsonObject { ["prompt"] = marker, ["max_tokens"] = "many" }, token);
        Assert.Equal(HttpStatusCode.BadRequest, rejected.StatusCode);

        // The services log at Information (their appsettings); the capture works: each one's start-up lines are there.
        var output = fixture.Output;
        Assert.Contains("[router] ", output, StringComparison.Ordinal);
        Assert.Contains("[engine-0] ", output, StringComparison.Ordinal);
        Assert.Contains("[engine-1] ", output, StringComparison.Ordinal);
        Assert.DoesNotContain(marker, output, StringComparison.Ordinal);
    }

    private static ReceivedSpan? RouterSpan(IReadOnlyList<ReceivedSpan> spans, string requestId) =>
        spans.FirstOrDefault(s => s.Service == "router" && s.Kind == 2 && (string?)s["mlc.request_id"] == requestId);

    private static ReceivedSpan EngineCall(List<ReceivedSpan> trace, ReceivedSpan router, string operation, string engine, string role, int promptTokens)
    {
        var call = Assert.Single(trace, s => s.Service == "router" && s.Name == operation);
        Assert.Equal(3, call.Kind);
        Assert.Equal(router.SpanId, call.ParentSpanId);
        Assert.Equal(engine, call["mlc.engine"]);
        Assert.Equal(role, call["mlc.engine.role"]);
        Assert.Equal("Success", call["mlc.outcome"]);
        Assert.Equal((long)promptTokens, call["gen_ai.usage.input_tokens"]);
        return call;
    }

    private static void AssertEngineSpans(List<ReceivedSpan> trace, ReceivedSpan call, string engine, string[] phases)
    {
        var server = Assert.Single(trace, s => s.Service == engine && s.Kind == 2 && IsBelow(trace, s, call));
        var below = trace.Where(s => s.Service == engine && s.ParentSpanId == server.SpanId).Select(s => s.Name).Order();
        Assert.Equal(phases.Order(), below);
    }

    private static bool IsBelow(List<ReceivedSpan> trace, ReceivedSpan span, ReceivedSpan ancestor)
    {
        for (var current = span; current is not null; current = trace.FirstOrDefault(s => s.SpanId == current.ParentSpanId))
        {
            if (current.ParentSpanId == ancestor.SpanId)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Sums the samples of <paramref name="name"/> whose labels include all of <paramref name="labels"/>.</summary>
    private static double Sum(string metrics, string name, params string[] labels) =>
        metrics.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
            .Where(line => labels.All(label => line.Contains(label, StringComparison.Ordinal)))
            .Sum(line => double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture));

    private static async Task<(string Id, JsonObject Usage)> CompleteAsync(HttpClient client, string prompt, CancellationToken cancellationToken)
    {
        using var response = await PostAsync(client, new JsonObject { ["prompt"] = prompt, ["max_tokens"] = 6, ["temperature"] = 0 }, cancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (body!["id"]!.GetValue<string>(), body["usage"]!.AsObject());
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, JsonObject body, CancellationToken cancellationToken) =>
        client.PostAsync("/v1/completions", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), cancellationToken);
}
