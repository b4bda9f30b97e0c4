using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using MlcAspire.Router.Forwarding;

namespace MlcAspire.Tests.Functional.Router;

[Trait("Category", "Functional")]
public sealed class CompletionErrorsTests : IAsyncLifetime
{
    private FakeEngine _engine = null!;
    private RouterFactory _router = null!;
    private HttpClient _client = null!;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _engine = await FakeEngine.StartAsync(Token);
        _engine.Handler = (context, _, body) => FakeEngine.StreamTextAsync(context, body, "ok");
        _router = new RouterFactory(RouterFactory.Settings("round-robin", [("Both", _engine)]));
        _client = _router.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _router.DisposeAsync();
        await _engine.DisposeAsync();
    }

    [Theory]
    [InlineData("{not json", null, "invalid_json")]
    [InlineData("[1,2]", null, "invalid_json")]
    [InlineData("""{"max_tokens":3}""", "prompt", "missing_required_parameter")]
    [InlineData("""{"prompt":42}""", "prompt", "invalid_type")]
    [InlineData("""{"prompt":[]}""", "prompt", "invalid_type")]
    [InlineData("""{"prompt":["a","b"]}""", "prompt", "invalid_type")]
    [InlineData("""{"prompt":"x","max_tokens":"ten"}""", "max_tokens", "invalid_type")]
    [InlineData("""{"prompt":"x","max_tokens":0}""", "max_tokens", "invalid_value")]
    [InlineData("""{"prompt":"x","temperature":3.5}""", "temperature", "invalid_value")]
    [InlineData("""{"prompt":"x","top_p":0}""", "top_p", "invalid_value")]
    [InlineData("""{"prompt":"x","n":0}""", "n", "invalid_value")]
    [InlineData("""{"prompt":"x","logprobs":6}""", "logprobs", "invalid_value")]
    [InlineData("""{"prompt":"x","best_of":2}""", "best_of", "invalid_value")]
    [InlineData("""{"prompt":"x","stream":"yes"}""", "stream", "invalid_type")]
    [InlineData("""{"prompt":"x","stream_options":{}}""", "stream_options", "invalid_type")]
    [InlineData("""{"prompt":"x","frequency_penalty":-2.5}""", "frequency_penalty", "invalid_value")]
    [InlineData("""{"prompt":"x","logit_bias":{"a":1}}""", "logit_bias", "invalid_value")]
    [InlineData("""{"prompt":"x","stop":[1]}""", "stop", "invalid_type")]
    [InlineData("""{"prompt":"x","response_format":{"type":"xml"}}""", "response_format", "invalid_value")]
    [InlineData("""{"prompt":"x","user":5}""", "user", "invalid_type")]
    public async Task BadRequest_Gets400WithTheOpenAIEnvelope_BeforeAnyEngineCall(string body, string? param, string code)
    {
        using var response = await _client.PostCompletionAsync(body, Token);

        var error = await ReadErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("invalid_request_error", error["type"]!.GetValue<string>());
        Assert.Equal(param, error["param"]?.GetValue<string>());
        Assert.Equal(code, error["code"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(error["message"]!.GetValue<string>()));
        Assert.Empty(_engine.Requests);
    }

    [Fact]
    public async Task UnknownModel_Gets404()
    {
        using var response = await _client.PostCompletionAsync("""{"prompt":"x","model":"gpt-4"}""", Token);

        var error = await ReadErrorAsync(response, HttpStatusCode.NotFound);
        Assert.Equal("model_not_found", error["code"]!.GetValue<string>());
        Assert.Empty(_engine.Requests);
    }

    [Fact]
    public async Task PromptLongerThanTheContextWindow_Gets400()
    {
        var prompt = new JsonArray([.. Enumerable.Range(0, 4096).Select(i => (JsonNode)(i % 1000))]);

        using var response = await _client.PostCompletionAsync(new JsonObject { ["prompt"] = prompt }.ToJsonString(), Token);

        var error = await ReadErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("context_length_exceeded", error["code"]!.GetValue<string>());
        Assert.Empty(_engine.Requests);
    }

    [Theory]
    [InlineData(422, """{"detail":[{"type":"less_than_equal","loc":["body","logprobs"],"msg":"Input should be less than or equal to 5"}]}""", "application/json", 422, "body.logprobs: Input should be less than or equal to 5")]
    [InlineData(401, """{"detail":"Invalid API Key"}""", "application/json", 401, "Invalid API Key")]
    [InlineData(400, """{"object":"error","message":"Request fields \"best_of\" are not supported right now.","code":400}""", "application/json", 400, "Request fields \"best_of\" are not supported right now.")]
    [InlineData(500, "Internal Server Error", "text/plain", 502, "Internal Server Error")]
    [InlineData(503, "", "text/plain", 502, "The engine answered 503 with no body.")]
    public async Task EngineError_KeepsIts4xxStatusAndMessage_And5xxBecomes502(int engineStatus, string engineBody, string contentType, int expectedStatus, string expectedMessage)
    {
        _engine.Handler = (context, _, _) => FakeEngine.WriteTextAsync(context, engineStatus, engineBody, contentType);

        using var response = await _client.PostCompletionAsync("""{"prompt":"x","stream":true}""", Token);

        var error = await ReadErrorAsync(response, (HttpStatusCode)expectedStatus);
        Assert.Equal(expectedMessage, error["message"]!.GetValue<string>());
        await _client.WaitForIdleAsync(Token);
    }

    [Fact]
    public async Task MlcDoubleEncoded400_IsUnwrapped()
    {
        _engine.Handler = (context, _, _) => FakeEngine.WriteMlcErrorAsync(context, 400, "Invalid request prompt");

        using var response = await _client.PostCompletionAsync("""{"prompt":"x"}""", Token);

        var error = await ReadErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("Invalid request prompt", error["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task EngineDropsTheConnection_AfterItReadTheRequest_Gets502_NotRetried()
    {
        _engine.Handler = (context, _, _) =>
        {
            context.Abort();
            return Task.CompletedTask;
        };

        using var response = await _client.PostCompletionAsync("""{"prompt":"x"}""", Token);

        var error = await ReadErrorAsync(response, HttpStatusCode.BadGateway);
        Assert.Equal("engine_unreachable", error["code"]!.GetValue<string>());
        Assert.Single(_engine.Requests);
        await _client.WaitForIdleAsync(Token);
    }

    [Fact]
    public async Task EngineRefusesTheConnection_TheRequestIsRetriedOnAnotherEngine_AndCompletes()
    {
        // A stopped engine's port refuses connections: its requests provably never reached it.
        var stopped = await FakeEngine.StartAsync(Token);
        var refusing = stopped.Address;
        await stopped.DisposeAsync();
        await using var router = new RouterFactory(RouterFactory.Settings("round-robin", [("Both", refusing, 0), ("Both", _engine.Address, 2)]));
        using var client = router.CreateClient();

        // Two requests in a row: the rotation sends one of them to the refusing engine first.
        foreach (var _ in Enumerable.Range(0, 2))
        {
            using var response = await client.PostCompletionAsync("""{"prompt":"x"}""", Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(2, _engine.Requests.Count);
        var status = await client.GetFromJsonAsync<JsonObject>("/router/status", Token);
        Assert.Equal(1, status!["engines"]![0]!["failed_requests"]!.GetValue<long>());
        await client.WaitForIdleAsync(Token);
    }

    [Fact]
    public async Task EngineStreamEndsWithoutDone_ClientGetsOneErrorEvent_AndNoDone()
    {
        _engine.Handler = (context, _, body) =>
            FakeEngine.WriteSseAsync(context, [FakeEngine.Chunk(body["user"]!.GetValue<string>(), "partial")], done: false);

        using var response = await _client.PostCompletionAsync("""{"prompt":"x","stream":true}""", Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = RouterTestExtensions.SseData(await response.Content.ReadAsStringAsync(Token));
        Assert.Equal(2, events.Count);
        Assert.Equal("partial", JsonNode.Parse(events[0])!["choices"]![0]!["text"]!.GetValue<string>());
        var error = JsonNode.Parse(events[1])!["error"]!;
        Assert.Equal("server_error", error["type"]!.GetValue<string>());
        Assert.DoesNotContain("[DONE]", events);
        await _client.WaitForIdleAsync(Token);
    }

    [Fact]
    public async Task PreemptedStream_IsRetried_AndTheClientSeesEveryCharacterExactlyOnce()
    {
        var attempts = 0;
        _engine.Handler = (context, _, body) =>
        {
            var id = body["user"]!.GetValue<string>();
            return Interlocked.Increment(ref attempts) switch
            {
                1 => FakeEngine.WriteSseAsync(context, [FakeEngine.Chunk(id, "Hel"), FakeEngine.Chunk(id, "lo"), FakeEngine.Chunk(id, "", "preempt"), FakeEngine.UsageChunk(id, 0, 0)]),
                2 => FakeEngine.WriteSseAsync(context, [FakeEngine.Chunk(id, "He"), FakeEngine.Chunk(id, "", "preempt")]),
                _ => FakeEngine.WriteSseAsync(context, [FakeEngine.Chunk(id, "Hel"), FakeEngine.Chunk(id, "lo w"), FakeEngine.Chunk(id, "orld", "stop")]),
            };
        };

        using var response = await _client.PostCompletionAsync("""{"prompt":"x","stream":true,"temperature":0.8}""", Token);

        var events = RouterTestExtensions.SseData(await response.Content.ReadAsStringAsync(Token));
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!).ToList();
        Assert.Equal("Hello world", string.Concat(chunks.Select(c => c["choices"]![0]!["text"]!.GetValue<string>())));
        Assert.Single(chunks.Select(c => c["id"]!.GetValue<string>()).Distinct());
        Assert.Equal("stop", chunks[^1]["choices"]![0]!["finish_reason"]!.GetValue<string>());
        var ids = _engine.Requests.Select(r => r.Body["user"]!.GetValue<string>()).ToList();
        Assert.Equal(3, ids.Distinct().Count());
        Assert.Equal(ids[0], chunks[0]["id"]!.GetValue<string>());
        // The client sent no seed: the router chose one, and every attempt samples with it, so retries repeat the text.
        Assert.Single(_engine.Requests.Select(r => r.Body["seed"]!.GetValue<int>()).Distinct());
        await _client.WaitForIdleAsync(Token);
    }

    [Fact]
    public async Task PreemptedStream_WhoseRetryDoesNotRepeatTheTextSent_EndsWithOneRetryDivergedErrorEvent_NeverSplicedText()
    {
        var attempts = 0;
        _engine.Handler = (context, _, body) =>
        {
            var id = body["user"]!.GetValue<string>();
            return Interlocked.Increment(ref attempts) == 1
                ? FakeEngine.WriteSseAsync(context, [FakeEngine.Chunk(id, "Hel"), FakeEngine.Chunk(id, "", "preempt"), FakeEngine.UsageChunk(id, 0, 0)])
                // The restart sampled another token (as batched arithmetic on a busier engine may): "Ha…", not "Hel…".
                : FakeEngine.WriteSseAsync(context, [FakeEngine.Chunk(id, "Ha"), FakeEngine.Chunk(id, "ppy", "stop")]);
        };

        using var response = await _client.PostCompletionAsync("""{"prompt":"x","stream":true}""", Token);

        var events = RouterTestExtensions.SseData(await response.Content.ReadAsStringAsync(Token));
        Assert.Equal(2, events.Count);
        Assert.Equal("Hel", JsonNode.Parse(events[0])!["choices"]![0]!["text"]!.GetValue<string>());
        Assert.Equal("retry_diverged", JsonNode.Parse(events[1])!["error"]!["code"]!.GetValue<string>());
        await _client.WaitForIdleAsync(Token);
    }

    [Fact]
    public async Task PreemptedAnswer_IsRetried_AndTheClientGetsTheRetrysAnswerUnderItsOwnId()
    {
        var attempts = 0;
        _engine.Handler = (context, _, body) =>
        {
            var id = body["user"]!.GetValue<string>();
            var answer = Interlocked.Increment(ref attempts) == 1
                ? FakeEngine.Answer(id, "Hel", "preempt", 3, 0)
                : FakeEngine.Answer(id, "Hello world", "stop", 3, 2);
            return FakeEngine.WriteTextAsync(context, 200, answer, "application/json");
        };

        using var response = await _client.PostCompletionAsync("""{"prompt":"x"}""", Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync(Token))!;
        Assert.Equal("Hello world", json["choices"]![0]!["text"]!.GetValue<string>());
        Assert.Equal(5, json["usage"]!["total_tokens"]!.GetValue<int>());
        var ids = _engine.Requests.Select(r => r.Body["user"]!.GetValue<string>()).ToList();
        Assert.Equal(2, ids.Distinct().Count());
        Assert.Equal(ids[0], json["id"]!.GetValue<string>());
        await _client.WaitForIdleAsync(Token);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PreemptedEveryTime_RetriesRunOut_AndTheClientGets503(bool stream)
    {
        _engine.Handler = (context, _, body) => body["stream"]?.GetValue<bool>() == true
            ? FakeEngine.WriteSseAsync(context, [FakeEngine.Chunk(body["user"]!.GetValue<string>(), "", "preempt")])
            : FakeEngine.WriteTextAsync(context, 200, FakeEngine.Answer(body["user"]!.GetValue<string>(), "", "preempt", 3, 0), "application/json");

        using var response = await _client.PostCompletionAsync(new JsonObject { ["prompt"] = "x", ["stream"] = stream }.ToJsonString(), Token);

        var error = await ReadErrorAsync(response, HttpStatusCode.ServiceUnavailable);
        Assert.Equal("preempted", error["code"]!.GetValue<string>());
        Assert.Equal(4, _engine.Requests.Count);
        await _client.WaitForIdleAsync(Token);
    }

    [Fact]
    public async Task ClientDisconnectsMidStream_CancelsTheEngineCall_AndReleasesTheLoad()
    {
        var engineSawAbort = new TaskCompletionSource();
        _engine.Handler = async (context, _, body) =>
        {
            context.RequestAborted.Register(() => engineSawAbort.TrySetResult());
            await FakeEngine.WriteSseAsync(context, [FakeEngine.Chunk(body["user"]!.GetValue<string>(), "first")], done: false);
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        };

        using (var cancel = CancellationTokenSource.CreateLinkedTokenSource(Token))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
            {
                Content = new StringContent("""{"prompt":"x","stream":true}""", System.Text.Encoding.UTF8, "application/json"),
            };
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
            var stream = await response.Content.ReadAsStreamAsync(Token);
            var buffer = new byte[16];
            Assert.True(await stream.ReadAsync(buffer, Token) > 0);
            var active = await _client.GetActiveRequestsAsync(Token);
            Assert.Equal(1, active.Single());
            await cancel.CancelAsync();
        }

        await engineSawAbort.Task.WaitAsync(Token);
        await _client.WaitForIdleAsync(Token);
    }

    [Theory]
    [InlineData("data: not json\n\n")]
    [InlineData("data: {\"choices\":[{\"index\":\"zero\",\"text\":5}]}\n\n")]
    [InlineData("data: {\"choices\":[{\"index\":0,\"text\":[1]}]}\n\ndata: [DONE]\n\n")]
    public async Task EngineSendsChunksThatBreakTheProtocol_Gets502_NotA500(string engineBody)
    {
        _engine.Handler = (context, _, _) => FakeEngine.WriteTextAsync(context, 200, engineBody, "text/event-stream");

        using var response = await _client.PostCompletionAsync("""{"prompt":"x"}""", Token);

        var error = await ReadErrorAsync(response, HttpStatusCode.BadGateway);
        Assert.Equal("engine_invalid_response", error["code"]!.GetValue<string>());
        await _client.WaitForIdleAsync(Token);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EngineSilentPastItsGenerationTimeout_Gets504EngineTimeout_BeforeAnyByte(bool stream)
    {
        // The engine got the request and may still be computing it: a timeout is not retried.
        _engine.Handler = (context, _, _) => Task.Delay(Timeout.Infinite, context.RequestAborted);
        var settings = RouterFactory.Settings("round-robin", [("Both", _engine)]);
        // A stream's headers come with its first token; a non-streamed answer's with its last.
        settings[stream ? "Router:FirstTokenTimeout" : "Router:CompletionTimeout"] = "00:00:00.2";
        await using var router = new RouterFactory(settings);
        using var client = router.CreateClient();

        using var response = await client.PostCompletionAsync(new JsonObject { ["prompt"] = "x", ["stream"] = stream }.ToJsonString(), Token);

        var error = await ReadErrorAsync(response, HttpStatusCode.GatewayTimeout);
        Assert.Equal("engine_timeout", error["code"]!.GetValue<string>());
        Assert.Equal("server_error", error["type"]!.GetValue<string>());
        Assert.Single(_engine.Requests);
        await client.WaitForIdleAsync(Token);
    }

    [Theory]
    [InlineData(true, "longer than 4194304 bytes")]
    [InlineData(false, "more than 64 MiB")]
    public async Task EngineSendsWithoutEnd_TheAttemptEndsAtTheBound_With502InvalidResponse(bool stream, string bound)
    {
        var padding = new string('x', 64 * 1024);
        _engine.Handler = async (context, _, _) =>
        {
            // An engine gone wrong: bytes keep coming, but never a newline (a stream) or an end (an answer).
            context.Response.ContentType = stream ? "text/event-stream" : "application/json";
            await context.Response.WriteAsync(stream ? "data: " : "{\"text\":\"", context.RequestAborted);
            while (true)
            {
                await context.Response.WriteAsync(padding, context.RequestAborted);
            }
        };

        using var response = await _client.PostCompletionAsync(new JsonObject { ["prompt"] = "x", ["stream"] = stream }.ToJsonString(), Token);

        var error = await ReadErrorAsync(response, HttpStatusCode.BadGateway);
        Assert.Equal("engine_invalid_response", error["code"]!.GetValue<string>());
        Assert.Contains(bound, error["message"]!.GetValue<string>());
        await _client.WaitForIdleAsync(Token);
    }

    private static async Task<JsonNode> ReadErrorAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        var error = json["error"]!;
        Assert.Equal(["message", "type", "param", "code"], error.AsObject().Select(p => p.Key));
        return error;
    }
}
