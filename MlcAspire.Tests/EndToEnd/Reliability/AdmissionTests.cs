using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using MlcAspire.Bench.Load;
using MlcAspire.Router;
using static MlcAspire.Tests.EndToEnd.Reliability.ReliabilityCalls;

namespace MlcAspire.Tests.EndToEnd.Reliability;

/// <summary>
/// The default disaggregated topology (one prefill, one decode engine) behind a router with a small admission
/// budget: 2 completions in flight and 4 waiting, so that a burst of 10× that capacity is cheap to send.
/// </summary>
public sealed class SmallCapacityFixture : IAsyncLifetime
{
    public const int Capacity = 2 + 4;

    internal AspireApp App { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        App = await AspireApp.StartAsync([], TestContext.Current.CancellationToken, environment: new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["router"] = new Dictionary<string, string>
            {
                ["Router__MaxInFlightPerEngine"] = "2",
                ["Router__MaxQueuedRequests"] = "4",
                ["Router__RetryAfterSeconds"] = "2",
            },
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }
    }
}

[Trait("Category", "EndToEnd")]
public sealed class AdmissionTests(SmallCapacityFixture fixture) : IClassFixture<SmallCapacityFixture>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task BurstOfTenTimesCapacity_GetsEitherACompletionOrA429WithRetryAfter_NeverA5xx()
    {
        using var router = fixture.App.CreateHttpClient("router");

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 10 * SmallCapacityFixture.Capacity)
            .Select(i => StreamAsync(router, StreamBody(new JsonArray(1, 2, 3, i + 4), maxTokens: 16), Token)));

        TestContext.Current.TestOutputHelper?.WriteLine($"burst of {outcomes.Length}: {outcomes.Count(o => o.Done)} completed, {outcomes.Count(o => o.Status == 429)} got 429");
        Assert.All(outcomes, outcome => Assert.True(
            outcome.Done || (outcome.Status == 429 && outcome.ErrorCode == "rate_limit_exceeded" && outcome.RetryAfter == "2"), outcome.ToString()));
        Assert.Contains(outcomes, outcome => outcome.Done);
        Assert.Contains(outcomes, outcome => outcome.Status == 429);
        await WaitForRouterIdleAsync(router, Token);
        await WaitForNoReservedStateAsync(fixture.App, ["engine-0", "engine-1"], Token);
        await AssertRouterHealthyAsync(router, Token);
    }

    [Fact]
    public async Task TwoThousandHostileRequests_GetA4xxOrAreServed_NeverA5xx_AndConcurrentGoodRequestsAreUnaffected()
    {
        const int HostileCount = 2000;
        const int HostileWorkers = 3;
        var bodyLimit = new RouterOptions().MaxRequestBodyBytes;
        using var router = fixture.App.CreateHttpClient("router");

        // Oversized bodies go on connections of their own: the router closes a connection whose body it did not read,
        // and a small hostile body sent on it next would fail for that reason, not its own.
        using var oversizedClient = fixture.App.CreateHttpClient("router");
        var good = StreamBody(new JsonArray(11, 12, 13, 14), maxTokens: 6);
        var expected = await StreamAsync(router, good, Token);
        Assert.True(expected.Done, expected.ToString());

        var hostile = new HostileRequests(seed: 6, bodyLimit);
        var outcomes = new ConcurrentBag<(string Kind, string Outcome)>();
        var failures = new ConcurrentQueue<string>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        async Task HostileWorkerAsync()
        {
            while (hostile.TryTake(HostileCount, out var request))
            {
                var oversized = request.Kind is HostileRequests.OversizedWithLength or HostileRequests.OversizedChunked;
                var outcome = await PostRawAsync(oversized ? oversizedClient : router, request.Body, request.Chunked, Token);
                outcomes.Add((request.Kind, outcome));

                // A long-run prompt cannot fit the context window: the router refuses it, before tokenizing it when it is long.
                var longRun = request.Kind.StartsWith(HostileRequests.LongRun, StringComparison.Ordinal);
                if (outcome.StartsWith('5') || (oversized ? outcome != "413" : longRun ? outcome != "400" : !outcome.StartsWith('2') && !outcome.StartsWith('4')))
                {
                    failures.Enqueue($"{request.Kind} ({request.Body.Length} bytes) -> {outcome}: {Encoding.UTF8.GetString(request.Body[..Math.Min(request.Body.Length, 200)])}");
                }
            }
        }

        var goodOutcomes = new ConcurrentQueue<CompletionOutcome>();
        async Task GoodWorkerAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                goodOutcomes.Enqueue(await StreamAsync(router, good, Token));
            }
        }

        var goodWorker = GoodWorkerAsync();
        await Task.WhenAll(Enumerable.Range(0, HostileWorkers).Select(_ => HostileWorkerAsync()));
        await stop.CancelAsync();
        await goodWorker;

        var byKind = outcomes.GroupBy(o => o.Kind).OrderBy(g => g.Key, StringComparer.Ordinal).Select(kind =>
            $"{kind.Key} x{kind.Count()}: " + string.Join(", ", kind.GroupBy(o => o.Outcome).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} x{g.Count()}")));
        var served = outcomes.Where(o => o.Outcome.StartsWith('2')).ToList();
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{outcomes.Count} hostile requests (body limit {bodyLimit} bytes):\n  " + string.Join("\n  ", byKind) +
            $"\nserved with 200: {served.Count(o => o.Kind == "forged-field")} forged-field bodies (the forged fields dropped), " +
            $"{served.Count(o => o.Kind is "wrong-type" or "out-of-range")} wrong-type/out-of-range bodies whose value the schema accepts (e.g. null), " +
            $"{served.Count(o => o.Kind == "broken-json")} broken-json mutations that are still valid JSON (a character dropped from a value), " +
            $"{served.Count(o => o.Kind is not ("forged-field" or "wrong-type" or "out-of-range" or "broken-json"))} others" +
            $"\n{goodOutcomes.Count} concurrent good requests, {goodOutcomes.Count(o => o.Equals(expected))} identical to the reference");
        Assert.Empty(failures);
        Assert.Equal(HostileCount, outcomes.Count);
        Assert.Contains(outcomes, o => o.Kind == HostileRequests.OversizedWithLength);
        Assert.Contains(outcomes, o => o.Kind == HostileRequests.OversizedChunked);
        Assert.Contains(outcomes, o => o.Kind.StartsWith(HostileRequests.LongRun, StringComparison.Ordinal));
        Assert.NotEmpty(goodOutcomes);
        Assert.All(goodOutcomes, outcome => Assert.Equal(expected, outcome));
        await WaitForRouterIdleAsync(router, Token);
        await WaitForNoReservedStateAsync(fixture.App, ["engine-0", "engine-1"], Token);
        await AssertRouterHealthyAsync(router, Token);
    }

    /// <summary>
    /// Posts raw bytes, with a Content-Length or chunked, and returns the status code, or what became of the request
    /// when no response arrived (<c>send failed: …</c>): a refusal is a 413 the client can read, not a reset.
    /// </summary>
    private static async Task<string> PostRawAsync(HttpClient router, byte[] body, bool chunked, CancellationToken cancellationToken)
    {
        using HttpContent content = chunked ? new ChunkedContent(body) : new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        try
        {
            using var response = await router.PostAsync("/v1/completions", content, cancellationToken);
            await response.Content.ReadAsByteArrayAsync(cancellationToken);
            return ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
        }
        catch (HttpRequestException ex)
        {
            return $"send failed: {ex.HttpRequestError} ({ex.InnerException?.GetType().Name}: {ex.InnerException?.Message ?? ex.Message})";
        }
    }

    /// <summary>A body without a known length, so that HttpClient sends it with <c>Transfer-Encoding: chunked</c>.</summary>
    private sealed class ChunkedContent(byte[] body) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            await SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            for (var offset = 0; offset < body.Length; offset += 64 * 1024)
            {
                await stream.WriteAsync(body.AsMemory(offset, Math.Min(64 * 1024, body.Length - offset)), cancellationToken);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
