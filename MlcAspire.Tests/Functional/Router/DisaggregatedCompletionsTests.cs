using System.Buffers.Binary;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using MlcAspire.Models;
using MlcAspire.Router;
using MlcAspire.Router.Forwarding;
using MlcAspire.Router.Protocol;
using MlcAspire.Router.Scheduling;

namespace MlcAspire.Tests.Functional.Router;

[Trait("Category", "Functional")]
public sealed class DisaggregatedCompletionsTests : IAsyncLifetime
{
    private const string PrepRecv = "microserving/prep_recv";
    private const string RemoteSend = "microserving/remote_send";
    private const string StartGenerate = "microserving/start_generate";

    private readonly List<FakeEngine> _engines = [];
    private readonly Dictionary<double, (RouterFactory Router, HttpClient Client)> _routers = [];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>engine-0 and engine-2 prefill (PE 0, 4); engine-1 and engine-3 decode (PE 2, 6).</summary>
    private FakeEngine Prefill0 => _engines[0];

    private FakeEngine Decode0 => _engines[1];

    public async ValueTask InitializeAsync()
    {
        for (var i = 0; i < 4; i++)
        {
            var engine = await FakeEngine.StartAsync(Token);
            engine.Handler = (context, path, body) => MicroServingAsync(context, path, body, prefixMatched: 0);
            _engines.Add(engine);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (router, client) in _routers.Values)
        {
            client.Dispose();
            await router.DisposeAsync();
        }

        foreach (var engine in _engines)
        {
            await engine.DisposeAsync();
        }
    }

    [Fact]
    public async Task Handoff_CallsPrepRecvRemoteSendStartGenerate_WithOneIdAndConsistentWindows()
    {
        var client = Router(engineCount: 2);

        using var response = await client.PostCompletionAsync("""{"prompt":[1,2,3,4,5,6,7,8,9,10],"stream":true,"user":"u","max_tokens":5}""", Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = RouterTestExtensions.SseData(await response.Content.ReadAsStringAsync(Token));
        Assert.Equal("[DONE]", events[^1]);
        Assert.Equal([PrepRecv, StartGenerate], Decode0.Requests.Select(r => r.Path));
        Assert.Equal([RemoteSend], Prefill0.Requests.Select(r => r.Path));
        var prep = Decode0.BodiesFor(PrepRecv).Single();
        var send = Prefill0.BodiesFor(RemoteSend).Single();
        var generate = Decode0.BodiesFor(StartGenerate).Single();
        Assert.Equal(-1, prep["end"]!.GetValue<int>());
        Assert.Equal(0, send["begin"]!.GetValue<int>());
        Assert.Equal(9, send["end"]!.GetValue<int>());
        Assert.Equal(2, send["recv_rank"]!.GetValue<int>());
        Assert.Equal(EncodeMetadata(0, 9), send["kv_addr_info"]!.GetValue<string>());
        Assert.Equal(9, generate["begin"]!.GetValue<int>());
        var id = prep["user"]!.GetValue<string>();
        Assert.NotEqual("u", id);
        Assert.Equal(id, send["user"]!.GetValue<string>());
        Assert.Equal(id, generate["user"]!.GetValue<string>());
        Assert.All([prep, send, generate], body => Assert.Equal("jump_forward", body["debug_config"]!["grammar_execution_mode"]!.GetValue<string>()));
        await client.WaitForIdleAsync(Token);
    }

    [Theory]
    [InlineData(0.1, 9)]
    [InlineData(0.5, 5)]
    [InlineData(0.95, 0)]
    public async Task BalanceFactor_SetsTheWindowEnd_AsMlcDoes(double balance, int expectedEnd)
    {
        var client = Router(engineCount: 2, balance);

        using var response = await client.PostCompletionAsync("""{"prompt":[1,2,3,4,5,6,7,8,9,10]}""", Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expectedEnd, Decode0.BodiesFor(PrepRecv).Single()["end"]!.GetValue<int>());
        Assert.Equal(expectedEnd, Decode0.BodiesFor(StartGenerate).Single()["begin"]!.GetValue<int>());
        // A zero-length window has nothing to send: remote_send would fail begin < end.
        Assert.Equal(expectedEnd == 0 ? 0 : 1, Prefill0.BodiesFor(RemoteSend).Count());
    }

    [Fact]
    public async Task TextPrompt_IsTokenizedWithTheModelsTokenizer_AndEveryEngineGetsTheSameIds()
    {
        var client = Router(engineCount: 2);
        var expected = MlcModel.Load(RouterFactory.ModelDirectory).Tokenizer.EncodeToIds("The quick brown fox");

        using var response = await client.PostCompletionAsync("""{"prompt":"The quick brown fox"}""", Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var prompts = _engines.SelectMany(e => e.Requests).Select(r => r.Body["prompt"]!.ToJsonString()).Distinct();
        Assert.Equal(new JsonArray([.. expected.Select(id => (JsonNode)id)]).ToJsonString(), Assert.Single(prompts));
    }

    [Fact]
    public async Task DecodeCacheCoversTheWindow_RemoteSendIsSkipped()
    {
        Decode0.Handler = (context, path, body) => MicroServingAsync(context, path, body, prefixMatched: 9);
        var client = Router(engineCount: 2);

        using var response = await client.PostCompletionAsync("""{"prompt":[1,2,3,4,5,6,7,8,9,10]}""", Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(Prefill0.Requests);
        Assert.Equal(9, Decode0.BodiesFor(StartGenerate).Single()["begin"]!.GetValue<int>());
    }

    [Fact]
    public async Task RemoteSendFails_ClientGets502_NotRetried_AndTheDecodeEnginesParkedStateIsReleased()
    {
        Prefill0.Handler = (context, _, _) => FakeEngine.WriteTextAsync(context, 500, "Internal Server Error");
        var client = Router(engineCount: 2);

        using var response = await client.PostCompletionAsync("""{"prompt":[1,2,3,4],"max_tokens":50}""", Token);

        // The prefill engine got the request and may have computed: not retried. The parked window is released.
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal([PrepRecv, StartGenerate], Decode0.Requests.Select(r => r.Path));
        var prepared = Decode0.BodiesFor(PrepRecv).Select(body => body["user"]!.GetValue<string>()).ToList();
        var releases = Decode0.BodiesFor(StartGenerate).ToList();
        Assert.All(releases, release => Assert.True(release["stream"]!.GetValue<bool>()));
        Assert.All(releases, release => Assert.Equal(1, release["max_tokens"]!.GetValue<int>()));
        Assert.Equal(prepared, releases.Select(release => release["user"]!.GetValue<string>()));
        Assert.Single(Prefill0.Requests);
        await client.WaitForIdleAsync(Token);
    }

    [Fact]
    public async Task PrepRecvRejected_KeepsTheEngineStatus_AndCallsNothingElse()
    {
        Decode0.Handler = (context, _, _) => FakeEngine.WriteMlcErrorAsync(context, 400, "Invalid request prompt");
        var client = Router(engineCount: 2);

        using var response = await client.PostCompletionAsync("""{"prompt":[1,2,3,4]}""", Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Invalid request prompt", await response.Content.ReadAsStringAsync(Token));
        Assert.Single(Decode0.Requests);
        Assert.Empty(Prefill0.Requests);
        await client.WaitForIdleAsync(Token);
    }

    [Fact]
    public async Task PrepRecvMetadataDisagreesWithTheWindow_Gets502_AndReleasesTheDecodeEngine()
    {
        Decode0.Handler = (context, path, body) => path == PrepRecv
            ? context.Response.WriteAsJsonAsync(new { kv_append_metadata = EncodeMetadata(0, 2), prefix_matched_length = 0 }, Token)
            : MicroServingAsync(context, path, body, prefixMatched: 0);
        var client = Router(engineCount: 2);

        using var response = await client.PostCompletionAsync("""{"prompt":[1,2,3,4,5,6]}""", Token);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("kv_append_metadata covers up to 2", await response.Content.ReadAsStringAsync(Token));
        Assert.Empty(Prefill0.Requests);
        // The decode engine answered, so it did the work: not retried, and the window it parked is released.
        Assert.Equal(1, Assert.Single(Decode0.BodiesFor(StartGenerate))["max_tokens"]!.GetValue<int>());
        await client.WaitForIdleAsync(Token);
    }

    [Fact]
    public async Task ClientLeavesDuringRemoteSend_PrefillCallIsCanceled_AndTheDecodeEngineIsReleased()
    {
        var sending = new TaskCompletionSource();
        Prefill0.Handler = async (context, _, _) =>
        {
            sending.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        };
        var client = Router(engineCount: 2);

        using (var cancel = CancellationTokenSource.CreateLinkedTokenSource(Token))
        {
            var request = client.PostCompletionAsync("""{"prompt":[1,2,3,4],"stream":true}""", cancel.Token);
            await sending.Task.WaitAsync(Token);
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
        }

        await client.WaitForIdleAsync(Token);
        Assert.Equal([PrepRecv, StartGenerate], Decode0.Requests.Select(r => r.Path));
        Assert.Equal(1, Decode0.BodiesFor(StartGenerate).Single()["max_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task ClientLeavesDuringPrepRecv_TheAnswerIsStillRead_AndTheDecodeEnginesParkedStateIsReleased()
    {
        var preparing = new TaskCompletionSource();
        var clientGone = new TaskCompletionSource();
        Decode0.Handler = async (context, path, body) =>
        {
            if (path == PrepRecv)
            {
                // D reserves KV and answers only after the client left: the router must still learn that it parked the id.
                preparing.TrySetResult();
                await clientGone.Task.WaitAsync(context.RequestAborted);
            }

            await MicroServingAsync(context, path, body, prefixMatched: 0);
        };
        var client = Router(engineCount: 2);

        using (var cancel = CancellationTokenSource.CreateLinkedTokenSource(Token))
        {
            var request = client.PostCompletionAsync("""{"prompt":[1,2,3,4],"stream":true}""", cancel.Token);
            await preparing.Task.WaitAsync(Token);

            // The in-memory test server ends the client's call only once the router's pipeline returns, which now waits
            // for D's answer: so D answers right after the cancel (which reaches the router's token synchronously).
            await cancel.CancelAsync();
            clientGone.SetResult();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
        }

        await client.WaitForIdleAsync(Token);
        Assert.DoesNotContain(PrepRecv, Decode0.Aborted);
        Assert.Equal([PrepRecv, StartGenerate], Decode0.Requests.Select(r => r.Path));
        var release = Decode0.BodiesFor(StartGenerate).Single();
        Assert.Equal(1, release["max_tokens"]!.GetValue<int>());
        Assert.Equal(Decode0.BodiesFor(PrepRecv).Single()["user"]!.GetValue<string>(), release["user"]!.GetValue<string>());
        Assert.Empty(Prefill0.Requests);
    }

    [Fact]
    public async Task ReleaseOfTheDecodeStateThrows_TheDecodeEnginesLoadIsStillReturned()
    {
        Prefill0.Handler = (context, _, _) => FakeEngine.WriteTextAsync(context, 500, "Internal Server Error");
        var settings = RouterFactory.Settings("disagg", [("Prefill", Prefill0), ("Decode", Decode0)]);
        await using var router = new RouterFactory(settings, services =>
            services.AddHttpClient<EngineClient>().AddHttpMessageHandler(() => new ThrowOnReleaseHandler()));
        using var client = router.CreateClient();

        using var response = await client.PostCompletionAsync("""{"prompt":[1,2,3,4]}""", Token);

        // A throwing release is a bug: it reaches the edge as a 500, but must not keep D counted as busy.
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(Token);
        bound.CancelAfter(TimeSpan.FromSeconds(30));
        await client.WaitForIdleAsync(bound.Token);
    }

    [Fact]
    public async Task EveryPrefillEngineOutOfRotation_Gets503NoHealthyEngine_WithRetryAfter_AndCallsNoEngine()
    {
        var client = Router(engineCount: 2);
        var (router, _) = _routers[2];
        router.Services.GetRequiredService<EngineScheduler>().Engines[0].Health.Trip("down");

        using var response = await client.PostCompletionAsync("""{"prompt":[1,2,3,4]}""", Token);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync(Token))!["error"]!;
        Assert.Equal("no_healthy_engine", error["code"]!.GetValue<string>());
        Assert.Equal("No prefill engine is healthy (engine-0 out of rotation); try again later.", error["message"]!.GetValue<string>());
        Assert.Empty(Decode0.Requests);
    }

    [Fact]
    public async Task PrefillEngineLeavesRotationAfterAdmission_TheAttemptGets503NoHealthyEngine_WithRetryAfter()
    {
        Router(engineCount: 2);
        var (router, _) = _routers[2];
        router.Services.GetRequiredService<EngineScheduler>().Engines[0].Health.Trip("down");
        var (request, _) = CompletionRequestParser.Parse(JsonNode.Parse("""{"prompt":[1,2,3,4]}"""), RouterFactory.ModelDirectory, new RequestLimitsOptions());
        var context = new DefaultHttpContext();
        context.Response.Body = new MemoryStream();

        // Straight to the relay, as if the engine had left rotation between admission and the strategy's pick.
        await router.Services.GetRequiredService<CompletionRelay>().RelayAsync(context, request!, Token);

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, context.Response.StatusCode);
        Assert.Equal("1", context.Response.Headers.RetryAfter.ToString());
        var error = JsonNode.Parse(((MemoryStream)context.Response.Body).ToArray())!["error"]!;
        Assert.Equal("no_healthy_engine", error["code"]!.GetValue<string>());
        Assert.Contains("No prefill engine is healthy", error["message"]!.GetValue<string>());
        Assert.Empty(Decode0.Requests);
    }

    [Fact]
    public async Task TwoPrefillTwoDecode_SequentialRequests_RotateOverBothRoles()
    {
        var client = Router(engineCount: 4);

        for (var i = 0; i < 4; i++)
        {
            using var response = await client.PostCompletionAsync("""{"prompt":[1,2,3]}""", Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(2, _engines[0].BodiesFor(RemoteSend).Count());
        Assert.Equal(2, _engines[2].BodiesFor(RemoteSend).Count());
        Assert.Equal(2, _engines[1].BodiesFor(PrepRecv).Count());
        Assert.Equal(2, _engines[3].BodiesFor(PrepRecv).Count());
        Assert.Equal([2, 2, 6, 6], _engines[0].BodiesFor(RemoteSend).Concat(_engines[2].BodiesFor(RemoteSend))
            .Select(b => b["recv_rank"]!.GetValue<int>()).Order());
    }

    [Fact]
    public async Task PreemptedOnDecode_TheWholeHandoffIsRetried_WithANewId()
    {
        var generations = 0;
        Decode0.Handler = (context, path, body) => path == StartGenerate && Interlocked.Increment(ref generations) == 1
            ? FakeEngine.WriteSseAsync(context, [FakeEngine.Chunk(body["user"]!.GetValue<string>(), "A"), FakeEngine.Chunk(body["user"]!.GetValue<string>(), "", "preempt")])
            : MicroServingAsync(context, path, body, prefixMatched: 0);
        var client = Router(engineCount: 2);

        using var response = await client.PostCompletionAsync("""{"prompt":[1,2,3,4],"stream":true}""", Token);

        var chunks = RouterTestExtensions.SseData(await response.Content.ReadAsStringAsync(Token))[..^1].Select(e => JsonNode.Parse(e)!).ToList();
        Assert.Equal("AB", string.Concat(chunks.Select(c => c["choices"]!.AsArray().Count == 0 ? "" : c["choices"]![0]!["text"]!.GetValue<string>())));
        Assert.Equal(2, Decode0.BodiesFor(PrepRecv).Select(b => b["user"]!.GetValue<string>()).Distinct().Count());
        await client.WaitForIdleAsync(Token);
    }

    private HttpClient Router(int engineCount, double balance = 0)
    {
        var engines = _engines.Take(engineCount).Select((engine, i) => (i % 2 == 0 ? "Prefill" : "Decode", engine)).ToList();
        var router = new RouterFactory(RouterFactory.Settings("disagg", engines, balance));
        var client = router.CreateClient();
        _routers[balance + engineCount] = (router, client);
        return client;
    }

    /// <summary>MicroServing as MLC answers it: metadata for [matched, end), {} for remote_send, a stream for start_generate.</summary>
    private static async Task MicroServingAsync(HttpContext context, string path, JsonObject body, int prefixMatched)
    {
        switch (path)
        {
            case PrepRecv:
                var length = body["prompt"]!.AsArray().Count;
                var end = body["end"]!.GetValue<int>();
                var resolved = end < 0 ? length + end : end;
                var matched = Math.Min(prefixMatched, resolved);
                await context.Response.WriteAsJsonAsync(new { kv_append_metadata = EncodeMetadata(matched, resolved), prefix_matched_length = matched }, context.RequestAborted);
                break;
            case RemoteSend:
                await context.Response.WriteAsJsonAsync(new { }, context.RequestAborted);
                break;
            default:
                await FakeEngine.StreamTextAsync(context, body, "A", "B");
                break;
        }
    }

    /// <summary>Makes the release <c>start_generate</c> (<c>max_tokens: 1</c>) throw something no engine call expects.</summary>
    private sealed class ThrowOnReleaseHandler : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken))!;
            return request.RequestUri!.AbsolutePath.EndsWith(StartGenerate, StringComparison.Ordinal) && body["max_tokens"]?.GetValue<int>() == 1
                ? throw new InvalidOperationException("release failed unexpectedly")
                : await base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary><c>base64(u64_le(len(J)) ‖ J)</c> with J = <c>[1, 4096, end - begin]</c> (mlc-protocol.md §4.6).</summary>
    private static string EncodeMetadata(int begin, int end)
    {
        var json = Encoding.UTF8.GetBytes(end > begin ? $"[1,4096,{end - begin}]" : "[0]");
        var bytes = new byte[8 + json.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        return Convert.ToBase64String(bytes);
    }
}
