using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace MlcAspire.Tests.Functional.Router;

internal static class RouterTestExtensions
{
    public static Task<HttpResponseMessage> PostCompletionAsync(this HttpClient client, string json, CancellationToken cancellationToken) =>
        client.PostAsync("/v1/completions", new StringContent(json, Encoding.UTF8, "application/json"), cancellationToken);

    /// <summary>The <c>active_requests</c> of every engine, from <c>GET /router/status</c>.</summary>
    public static async Task<int[]> GetActiveRequestsAsync(this HttpClient client, CancellationToken cancellationToken)
    {
        var status = await client.GetFromJsonAsync<JsonObject>("/router/status", cancellationToken);
        return [.. status!["engines"]!.AsArray().Select(engine => engine!["active_requests"]!.GetValue<int>())];
    }

    /// <summary>
    /// Waits until every engine's load is back to zero. The router releases a lease right after the engine call
    /// ends, which the test cannot observe directly, so this re-reads the status until it holds or the token fires.
    /// </summary>
    public static async Task WaitForIdleAsync(this HttpClient client, CancellationToken cancellationToken)
    {
        while ((await client.GetActiveRequestsAsync(cancellationToken)).Any(active => active != 0))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), cancellationToken);
        }
    }

    /// <summary>The <c>data:</c> values of an SSE body, in order.</summary>
    public static List<string> SseData(string body) =>
        [.. body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(frame => frame.StartsWith("data: ", StringComparison.Ordinal) ? frame["data: ".Length..] : "<not data> " + frame)];
}
