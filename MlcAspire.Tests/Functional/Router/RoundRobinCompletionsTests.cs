using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using OpenAI;
using System.ClientModel;
using System.ClientModel.Primitives;

namespace MlcAspire.Tests.Functional.Router;

[Trait("Category", "Functional")]
public sealed class RoundRobinCompletionsTests : IAsyncLifetime
{
    private readonly List<FakeEngine> _engines = [];
    private RouterFactory _router = null!;
    private HttpClient _client = null!;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        for (var i = 0; i < 3; i++)
        {
            var engine = await FakeEngine.StartAsync(Token);
            engine.Handler = (context, _, body) => FakeEngine.StreamTextAsync(context, body, "Hello", " world");
            _engines.Add(engine);
        }

        _router = new RouterFactory(RouterFactory.Settings("round-robin", [.. _engines.Select(e => ("Both", e))]));
        _client = _router.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _router.DisposeAsync();
        foreach (var engine in _engines)
        {
            await engine.DisposeAsync();
        }
    }

    [Fact]
    public async Task StreamingRequest_RelaysEngineEventsByteForByte_ThenDone_WithoutTheUsageChunkItDidNotAskFor()
    {
        using var response = await PostAsync("""{"prompt":"Hi","stream":true,"max_tokens":2}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync(Token);
        var (_, sent) = _engines.SelectMany(e => e.Requests).Single();
        var id = sent["user"]!.GetValue<string>();
        var expected = $"data: {FakeEngine.Chunk(id, "Hello")}\n\ndata: {FakeEngine.Chunk(id, " world", "stop")}\n\ndata: [DONE]\n\n";
        Assert.Equal(expected, body);
        // The engine is asked for usage all the same: the router's metrics need every request's token counts.
        Assert.True(sent["stream_options"]!["include_usage"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Request_ClientUserAndDebugConfig_NeverReachTheEngine_OtherFieldsPassUnchanged()
    {
        using var response = await PostAsync("""
            {"prompt":[5,6,7],"stream":true,"user":"alice","seed":7,"temperature":0.5,"top_p":0.9,"n":1,"echo":false,
             "stop":["\n"],"logprobs":2,"logit_bias":{"5":1.5},"max_tokens":4,"suffix":"!","frequency_penalty":0.1,
             "presence_penalty":0.2,"stream_options":{"include_usage":true},"best_of":1,
             "response_format":{"type":"json_object","schema":"{\"type\":\"object\"}"},
             "debug_config":{"ignore_eos":true,"special_request":"query_engine_metrics","disagg_config":{"kind":"remote_send","kv_window_begin":0}}}
            """);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (path, sent) = _engines.SelectMany(e => e.Requests).Single();
        Assert.Equal("v1/completions", path);
        Assert.StartsWith("cmpl-", sent["user"]!.GetValue<string>());
        Assert.Equal(
            """{"ignore_eos":false,"pinned_system_prompt":false,"special_request":null,"grammar_execution_mode":"jump_forward","disagg_config":null}""",
            sent["debug_config"]!.ToJsonString());
        Assert.Equal("json_object", sent["response_format"]!["type"]!.GetValue<string>());
        Assert.Equal("""{"type":"object"}""", sent["response_format"]!["schema"]!.GetValue<string>());
        Assert.Equal("[5,6,7]", sent["prompt"]!.ToJsonString());
        foreach (var field in (string[])["seed", "temperature", "top_p", "n", "echo", "stop", "logprobs", "logit_bias", "max_tokens", "suffix",
            "frequency_penalty", "presence_penalty", "stream_options", "best_of", "stream"])
        {
            Assert.True(sent.ContainsKey(field), field);
        }

        Assert.Equal("""{"5":1.5}""", sent["logit_bias"]!.ToJsonString());
        Assert.Equal(7, sent["seed"]!.GetValue<int>());
    }

    [Fact]
    public async Task TwoRequests_WithTheSameUser_GetDistinctEngineRequestIds()
    {
        using var first = await PostAsync("""{"prompt":"a","user":"same"}""");
        using var second = await PostAsync("""{"prompt":"b","user":"same"}""");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var ids = _engines.SelectMany(e => e.Requests).Select(r => r.Body["user"]!.GetValue<string>()).ToList();
        Assert.Equal(2, ids.Distinct().Count());
        Assert.DoesNotContain("same", ids);
    }

    [Fact]
    public async Task SequentialRequests_RotateEvenlyOverEngines()
    {
        for (var i = 0; i < 30; i++)
        {
            using var response = await PostAsync("""{"prompt":"x"}""");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.All(_engines, engine => Assert.Equal(10, engine.Requests.Count));
    }

    [Fact]
    public async Task NonStreamingRequest_GetsTheEnginesJoinedAnswer_UnderTheClientIdAndTheRoutersModel()
    {
        JsonObject? answer = null;
        foreach (var engine in _engines)
        {
            engine.Handler = (context, _, body) =>
            {
                // MLC's own join (mlc-protocol.md §2.3): text per choice, first finish_reason, logprobs concatenated, usage.
                JsonObject Choice(int index, string text, string finish) => new()
                {
                    ["finish_reason"] = finish, ["index"] = index, ["text"] = text,
                    ["logprobs"] = new JsonObject
                    {
                        ["text_offset"] = null, ["token_logprobs"] = new JsonArray(-0.5, -0.25), ["tokens"] = new JsonArray(text[..1], text[1..]),
                        ["top_logprobs"] = new JsonArray(new JsonObject { [text[..1]] = -0.5 }, new JsonObject { [text[1..]] = -0.25 }),
                    },
                };
                answer = new JsonObject
                {
                    ["id"] = body["user"]!.GetValue<string>(),
                    ["choices"] = new JsonArray(Choice(0, "AB", "length"), Choice(1, "XY", "stop")),
                    ["created"] = 1737000000, ["model"] = null, ["object"] = "text_completion",
                    ["usage"] = new JsonObject { ["prompt_tokens"] = 3, ["completion_tokens"] = 4, ["total_tokens"] = 7, ["extra"] = null },
                };
                return FakeEngine.WriteTextAsync(context, 200, answer.ToJsonString(), "application/json");
            };
        }

        using var response = await PostAsync("""{"prompt":"Hi","n":2,"logprobs":1}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var sent = _engines.SelectMany(e => e.Requests).Single().Body;
        Assert.Null(sent["stream"]);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync(Token))!;
        // As OpenAI's schema has it: the served model, text_offset a list, and no engine debug timings (usage.extra).
        answer!["model"] = RouterFactory.ModelDirectory;
        foreach (var choice in answer["choices"]!.AsArray())
        {
            choice!["logprobs"]!["text_offset"] = new JsonArray(0, 1);
        }

        answer["usage"]!.AsObject().Remove("extra");
        Assert.True(JsonNode.DeepEquals(answer, json), json.ToJsonString());
    }

    [Fact]
    public async Task OpenAIClient_ListsTheConfiguredModel()
    {
        var models = await CreateOpenAIClient().GetOpenAIModelClient().GetModelsAsync(Token);

        var model = Assert.Single(models.Value);
        Assert.Equal(RouterFactory.ModelDirectory, model.Id);
        Assert.Equal("MLC-LLM", model.OwnedBy);
    }

    [Fact]
    public async Task OpenAIClientPipeline_Completes_ThroughTheRouter()
    {
        using var response = await SendWithOpenAIPipelineAsync(
            $$"""{"model":{{JsonValue.Create(RouterFactory.ModelDirectory)!.ToJsonString()}},"prompt":"Hi","max_tokens":2}""");

        Assert.Equal(200, response.Status);
        var json = JsonNode.Parse(response.Content.ToString())!;
        Assert.Equal("Hello world", json["choices"]![0]!["text"]!.GetValue<string>());
        Assert.Equal("stop", json["choices"]![0]!["finish_reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task OpenAIClientPipeline_SeesTheEnginesRejection_WithItsStatusAndMessage()
    {
        foreach (var engine in _engines)
        {
            engine.Handler = (context, _, _) => FakeEngine.WriteMlcErrorAsync(context, 400, "Request prompt has 9000 tokens in total, larger than the model input length limit 4096.");
        }

        using var response = await SendWithOpenAIPipelineAsync("""{"prompt":"Hi"}""");

        var error = await ClientResultException.CreateAsync(response);
        Assert.Equal(400, error.Status);
        var envelope = JsonNode.Parse(response.Content.ToString())!["error"]!;
        Assert.Equal("Request prompt has 9000 tokens in total, larger than the model input length limit 4096.", envelope["message"]!.GetValue<string>());
        Assert.Equal("invalid_request_error", envelope["type"]!.GetValue<string>());
    }

    private OpenAIClient CreateOpenAIClient() =>
        new(new ApiKeyCredential("unused"), new OpenAIClientOptions
        {
            Endpoint = new Uri(_client.BaseAddress!, "/v1"),
            Transport = new HttpClientPipelineTransport(_client),
        });

    /// <summary>The SDK has no public legacy-completions client, so this sends through its pipeline (auth, transport, error model).</summary>
    private async Task<PipelineResponse> SendWithOpenAIPipelineAsync(string json)
    {
        var pipeline = CreateOpenAIClient().Pipeline;
        using var message = pipeline.CreateMessage();
        message.Request.Method = "POST";
        message.Request.Uri = new Uri(_client.BaseAddress!, "/v1/completions");
        message.Request.Headers.Set("Content-Type", "application/json");
        message.Request.Content = BinaryContent.Create(BinaryData.FromString(json));
        message.ResponseClassifier = PipelineMessageClassifier.Create([200]);
        message.Apply(new RequestOptions { CancellationToken = Token });
        await pipeline.SendAsync(message);
        return message.ExtractResponse()!;
    }

    private Task<HttpResponseMessage> PostAsync(string json) =>
        _client.PostAsync("/v1/completions", new StringContent(json, Encoding.UTF8, "application/json"), Token);
}
