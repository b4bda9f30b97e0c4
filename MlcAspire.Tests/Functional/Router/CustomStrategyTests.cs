using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using MlcAspire.Contracts;
using MlcAspire.Router;
using MlcAspire.Router.Forwarding;
using MlcAspire.Router.Scheduling;

namespace MlcAspire.Tests.Functional.Router;

/// <summary>The extension point: a strategy of one's own, registered through DI, replaces the built-in ones.</summary>
[Trait("Category", "Functional")]
public sealed class CustomStrategyTests : IAsyncLifetime
{
    private FakeEngine _short = null!;
    private FakeEngine _long = null!;

    /// <summary>A body field only the test's strategy adds, so every engine call shows which strategy made it.</summary>
    private const string StrategyMarker = "x_strategy";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _short = await FakeEngine.StartAsync(Token);
        _long = await FakeEngine.StartAsync(Token);
        _short.Handler = (context, _, body) => FakeEngine.StreamTextAsync(context, body, "short");
        _long.Handler = (context, _, body) => FakeEngine.StreamTextAsync(context, body, "long");
    }

    public async ValueTask DisposeAsync()
    {
        await _short.DisposeAsync();
        await _long.DisposeAsync();
    }

    [Fact]
    public async Task StrategyRegisteredInDI_DecidesWhereEachRequestGoes()
    {
        await using var router = new RouterFactory(
            RouterFactory.Settings("round-robin", [("Both", _short), ("Both", _long)]),
            services => services.AddSingleton<ICompletionStrategy, PromptLengthStrategy>());
        using var client = router.CreateClient();

        // Long first, then short twice: the built-in rotation would send them to engine-0, engine-1, engine-0.
        var texts = new List<string>();
        foreach (var prompt in (string[])["a prompt long enough to go to the long engine", "hi", "yo"])
        {
            using var response = await client.PostCompletionAsync(new JsonObject { ["prompt"] = prompt }.ToJsonString(), Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            texts.Add(JsonNode.Parse(await response.Content.ReadAsStringAsync(Token))!["choices"]![0]!["text"]!.GetValue<string>());
        }

        Assert.Equal(["long", "short", "short"], texts);
        Assert.Equal(2, _short.Requests.Count);
        Assert.Single(_long.Requests);
        Assert.All(_short.Requests.Concat(_long.Requests), r => Assert.Equal(nameof(PromptLengthStrategy), r.Body[StrategyMarker]!.GetValue<string>()));
        await client.WaitForIdleAsync(Token);
    }

    /// <summary>Sends short text prompts to engine-0 and the rest to engine-1, keeping the router's load accounting.</summary>
    private sealed class PromptLengthStrategy(EngineScheduler scheduler, EngineClient client) : ICompletionStrategy
    {
        public bool RequiresPromptTokens => false;

        public async ValueTask<CompletionStart> StartAsync(CompletionAttempt attempt, CancellationToken cancellationToken)
        {
            var target = (attempt.Request.PromptText?.Length ?? 0) < 10 ? scheduler.Engines[0] : scheduler.Engines[1];
            var lease = scheduler.Acquire(EngineSelection.Any, exclude: scheduler.Engines.Single(e => e != target))!;
            var timeout = new ActivityTimeout(TimeProvider.System, TimeSpan.FromMinutes(1), cancellationToken);
            var response = await client.SendAsync(lease.Engine, "v1/completions", nameof(EngineRole.Both), attempt.RequestId,
                attempt.Request.CreateEngineBody(attempt.RequestId, (StrategyMarker, nameof(PromptLengthStrategy))), timeout, cancellationToken);
            if (response.Failure is { } failure)
            {
                timeout.Dispose();
                return CompletionStart.Failed(failure, lease);
            }

            return CompletionStart.Started(response, timeout, lease);
        }
    }
}
