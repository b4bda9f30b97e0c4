using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using static MlcAspire.Tests.EndToEnd.Reliability.ReliabilityCalls;

namespace MlcAspire.Tests.EndToEnd.Reliability;

/// <summary>
/// The default disaggregated topology (one prefill, one decode engine) behind a router with a small admission
/// budget: 2 completions in flight and 4 waiting, so that a burst of 10× that capacity is cheap to send.
/// </summary>
public sealed class SmallCapacityFixture : IAsyncLifetime
{
    public const int Capacity = 2 + 4;

    internal TestingApp App { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        App = TestingApp.Create(new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["router"] = new Dictionary<string, string>
            {
                ["Router__MaxInFlightPerEngine"] = "2",
                ["Router__MaxQueuedRequests"] = "4",
                ["Router__RetryAfterSeconds"] = "2",
            },
        });
        var cancellationToken = TestContext.Current.CancellationToken;
        await App.StartAsync(cancellationToken).WaitAsync(TestingApp.DefaultTimeout, cancellationToken);
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
    }

    [Fact]
    public async Task TwoThousandHostileRequests_GetA4xxOrAreServed_NeverA5xx_AndConcurrentGoodRequestsAreUnaffected()
    {
        const int HostileCount = 2000;
        const int HostileWorkers = 3;
        using var router = fixture.App.CreateHttpClient("router");
        var good = StreamBody(new JsonArray(11, 12, 13, 14), maxTokens: 6);
        var expected = await StreamAsync(router, good, Token);
        Assert.True(expected.Done, expected.ToString());

        var hostile = new HostileRequests(seed: 6);
        var next = 0;
        var statuses = new ConcurrentBag<(string Kind, int Status)>();
        var failures = new ConcurrentQueue<string>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        async Task HostileWorkerAsync()
        {
            while (true)
            {
                (string Kind, byte[] Body) request;
                lock (hostile)
                {
                    if (next++ >= HostileCount)
                    {
                        return;
                    }

                    request = hostile.Next();
                }

                var status = await PostRawAsync(router, request.Body, Token);
                statuses.Add((request.Kind, status));
                if (status >= 500)
                {
                    failures.Enqueue($"{request.Kind} -> {status}: {Encoding.UTF8.GetString(request.Body[..Math.Min(request.Body.Length, 200)])}");
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

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{statuses.Count} hostile requests: " + string.Join(", ", statuses.GroupBy(s => s.Status).OrderBy(g => g.Key).Select(g => $"{g.Key} x{g.Count()}")) +
            $"; {goodOutcomes.Count} concurrent good requests, {goodOutcomes.Count(o => o.Equals(expected))} identical to the reference");
        Assert.Empty(failures);
        Assert.Equal(HostileCount, statuses.Count);
        Assert.NotEmpty(goodOutcomes);
        Assert.All(goodOutcomes, outcome => Assert.Equal(expected, outcome));
        await WaitForRouterIdleAsync(router, Token);
        await WaitForNoReservedStateAsync(fixture.App, ["engine-0", "engine-1"], Token);
    }

    /// <summary>
    /// Posts raw bytes. A body over the limit may be answered 413 before it is fully sent, in which case the server
    /// closes the connection and the client's send fails: that is the refusal too, counted as 413.
    /// </summary>
    private static async Task<int> PostRawAsync(HttpClient router, byte[] body, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        try
        {
            using var response = await router.PostAsync("/v1/completions", content, cancellationToken);
            await response.Content.ReadAsByteArrayAsync(cancellationToken);
            return (int)response.StatusCode;
        }
        catch (HttpRequestException) when (body.Length > 4 * 1024 * 1024)
        {
            return (int)HttpStatusCode.RequestEntityTooLarge;
        }
    }
}
