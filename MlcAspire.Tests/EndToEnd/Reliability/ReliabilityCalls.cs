using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using MlcAspire.Tests.EndToEnd.Router;
using MlcAspire.Tests.Functional.Router;

namespace MlcAspire.Tests.EndToEnd.Reliability;

/// <summary>How one completion ended, as the client saw it.</summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Chunks">Completion chunks received before the end.</param>
/// <param name="Done">The stream ended with <c>[DONE]</c> and no error.</param>
/// <param name="ErrorCode">The OpenAI envelope's <c>code</c> (HTTP error body or SSE error event), else null.</param>
/// <param name="Text">The completion text received.</param>
/// <param name="RetryAfter">The <c>Retry-After</c> header, if any.</param>
internal sealed record CompletionOutcome(int Status, int Chunks, bool Done, string? ErrorCode, string Text, string? RetryAfter);

/// <summary>Calls and waits the reliability tests share: a streamed completion read to its end, and clean-up checks.</summary>
internal static class ReliabilityCalls
{
    /// <summary>How long one faulty request may take to end; generous, it only keeps a broken build from hanging.</summary>
    public static readonly TimeSpan RequestBound = TimeSpan.FromSeconds(30);

    /// <summary>How long load or engine state may take to drain after the requests ended.</summary>
    public static readonly TimeSpan DrainBound = TimeSpan.FromSeconds(30);

    public static JsonObject StreamBody(JsonNode prompt, int maxTokens) =>
        new() { ["prompt"] = prompt, ["max_tokens"] = maxTokens, ["temperature"] = 0, ["stream"] = true };

    /// <summary>Posts a streamed completion and reads it to its end (or its error) within <see cref="RequestBound"/>.</summary>
    /// <param name="onFirstChunk">Runs once the first completion chunk arrived, while the stream is still open.</param>
    public static async Task<CompletionOutcome> StreamAsync(
        HttpClient router, JsonObject body, CancellationToken cancellationToken, Func<Task>? onFirstChunk = null)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(RequestBound);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        using var response = await router.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, bound.Token);
        var status = (int)response.StatusCode;
        var retryAfter = response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(CultureInfo.InvariantCulture);
        if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
        {
            var error = JsonNode.Parse(await response.Content.ReadAsStringAsync(bound.Token))?["error"]?["code"]?.GetValue<string>();
            return new CompletionOutcome(status, 0, false, error, "", retryAfter);
        }

        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(bound.Token));
        var chunks = 0;
        var text = new StringBuilder();
        try
        {
            while (await reader.ReadLineAsync(bound.Token) is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    continue;
                }

                var data = line["data: ".Length..];
                if (data == "[DONE]")
                {
                    return new CompletionOutcome(status, chunks, true, null, text.ToString(), retryAfter);
                }

                var json = JsonNode.Parse(data)!;
                if (json["error"] is { } error)
                {
                    return new CompletionOutcome(status, chunks, false, error["code"]?.GetValue<string>() ?? "<no code>", text.ToString(), retryAfter);
                }

                text.Append(json["choices"]?.AsArray().FirstOrDefault()?["text"]?.GetValue<string>());
                if (++chunks == 1 && onFirstChunk is not null)
                {
                    await onFirstChunk();
                }
            }
        }
        catch (IOException)
        {
            return new CompletionOutcome(status, chunks, false, "<connection cut>", text.ToString(), retryAfter);
        }

        return new CompletionOutcome(status, chunks, false, "<ended without [DONE]>", text.ToString(), retryAfter);
    }

    /// <summary>
    /// A callback for <see cref="StreamAsync"/>'s first chunk, shared by <paramref name="streams"/> streams, and a task that
    /// completes once each of them sent its first chunk.
    /// </summary>
    public static (Func<Task> OnFirstChunk, Task AllStarted) FirstChunkBarrier(int streams)
    {
        var allStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = 0;
        return (() =>
        {
            if (Interlocked.Increment(ref started) == streams)
            {
                allStarted.SetResult();
            }

            return Task.CompletedTask;
        }, allStarted.Task);
    }

    /// <summary>Every engine's row of <c>GET /router/status</c>, by name.</summary>
    public static async Task<Dictionary<string, JsonObject>> EngineStatusAsync(HttpClient router, CancellationToken cancellationToken)
    {
        var status = await router.GetFromJsonAsync<JsonObject>("/router/status", cancellationToken);
        return status!["engines"]!.AsArray().Select(e => e!.AsObject()).ToDictionary(e => e["name"]!.GetValue<string>());
    }

    /// <summary>
    /// Asserts that the router took <paramref name="killed"/> out of rotation: its circuit is open, and of several later
    /// requests, which all complete, none reached it (its total in <c>/router/status</c> stays), retries included.
    /// </summary>
    public static async Task AssertAvoidedAsync(HttpClient router, string killed, int requests, CancellationToken cancellationToken)
    {
        using (var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            bound.CancelAfter(RequestBound);
            while ((await EngineStatusAsync(router, bound.Token))[killed]["circuit"]!.GetValue<string>() != "Open")
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), bound.Token);
            }
        }

        var before = await EngineStatusAsync(router, cancellationToken);
        for (var i = 0; i < requests; i++)
        {
            using var response = await router.PostAsJsonAsync("/v1/completions", new { prompt = new[] { 1, 2, 3 + i }, max_tokens = 4, temperature = 0 }, cancellationToken);
            Assert.True(response.IsSuccessStatusCode, $"request {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        var after = await EngineStatusAsync(router, cancellationToken);
        Assert.Equal("Open", after[killed]["circuit"]!.GetValue<string>());
        Assert.Equal(Total(before, killed), Total(after, killed));
        var survivors = after.Keys.Where(name => name != killed && after[name]["role"]!.GetValue<string>() != "Prefill").ToList();
        Assert.Equal(requests, survivors.Sum(name => Total(after, name) - Total(before, name)));

        static long Total(Dictionary<string, JsonObject> status, string engine) => status[engine]["total_requests"]!.GetValue<long>();
    }

    /// <summary>Waits (bounded) until <c>/router/status</c> shows no load on any engine.</summary>
    public static async Task WaitForRouterIdleAsync(HttpClient router, CancellationToken cancellationToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(DrainBound);
        try
        {
            await router.WaitForIdleAsync(bound.Token);
        }
        catch (OperationCanceledException) when (bound.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            Assert.Fail($"The router still reports load after {DrainBound}: {await router.GetStringAsync("/router/status", cancellationToken)}");
        }
    }

    /// <summary>
    /// Waits (bounded) until each named engine's <c>/metrics</c> shows no running, waiting or parked request, no pending
    /// receive and no used KV page: nothing a failed or abandoned handoff could leak.
    /// </summary>
    public static Task WaitForNoReservedStateAsync(AspireApp app, IEnumerable<string> engines, CancellationToken cancellationToken) =>
        WaitForNoReservedStateAsync([.. engines.Select(name => new RunningEngine(name, app.GetEndpoint(name), 0))], cancellationToken);

    /// <inheritdoc cref="WaitForNoReservedStateAsync(AspireApp, IEnumerable{string}, CancellationToken)"/>
    public static async Task WaitForNoReservedStateAsync(IEnumerable<RunningEngine> engines, CancellationToken cancellationToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(DrainBound);
        foreach (var engine in engines)
        {
            using var client = new HttpClient { BaseAddress = engine.Url };
            var metrics = "";
            try
            {
                while (!IsClean(metrics = await client.GetStringAsync("/metrics", bound.Token)))
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(20), bound.Token);
                }
            }
            catch (OperationCanceledException) when (bound.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                Assert.Fail($"{engine.Name} still holds state after {DrainBound}:\n{metrics}");
            }
        }
    }

    /// <summary>
    /// Waits (bounded by <see cref="RequestBound"/>) until <paramref name="condition"/> holds, re-reading it every 20 ms;
    /// fails with <paramref name="what"/> and the last <paramref name="describe"/> otherwise. For states the test cannot be
    /// told about (an engine holding a call, a gauge reaching a value), never as a pause.
    /// </summary>
    public static async Task WaitUntilAsync(string what, Func<CancellationToken, Task<bool>> condition, Func<CancellationToken, Task<string>> describe, CancellationToken cancellationToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(RequestBound);
        try
        {
            while (!await condition(bound.Token))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), bound.Token);
            }
        }
        catch (OperationCanceledException) when (bound.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            Assert.Fail($"Not reached within {RequestBound}: {what}. Last seen: {await describe(cancellationToken)}");
        }
    }

    /// <summary>One engine's <c>/metrics</c>, name → value.</summary>
    public static async Task<Dictionary<string, double>> EngineMetricsAsync(RunningEngine engine, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { BaseAddress = engine.Url };
        return ParseMetrics(await client.GetStringAsync("/metrics", cancellationToken));
    }

    /// <summary>GET /health answers 200: the router stayed healthy through the faults.</summary>
    public static async Task AssertRouterHealthyAsync(HttpClient router, CancellationToken cancellationToken)
    {
        using var health = await router.GetAsync("/health", cancellationToken);
        Assert.True(health.StatusCode == System.Net.HttpStatusCode.OK, $"GET /health answered {(int)health.StatusCode}: {await health.Content.ReadAsStringAsync(cancellationToken)}");
    }

    private static bool IsClean(string metrics)
    {
        string[] reserved = ["mlc_reference_kv_pages_used", "mlc_reference_running_requests", "mlc_reference_parked_requests",
            "mlc_reference_waiting_requests", "mlc_reference_pending_receives"];
        var values = ParseMetrics(metrics);
        return reserved.All(name => values[name] == 0);
    }

    private static Dictionary<string, double> ParseMetrics(string metrics) =>
        metrics.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.StartsWith('#'))
            .Select(line => line.Split(' '))
            .ToDictionary(parts => parts[0], parts => double.Parse(parts[1], CultureInfo.InvariantCulture));
}
