using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MlcAspire.Tests.Functional.Router;

/// <summary>
/// An engine stand-in on a real Kestrel socket (127.0.0.1:0) that speaks MLC's wire format, including its odd
/// error shapes, so the router is tested over real HTTP. Each test scripts its answers through <see cref="Handler"/>.
/// </summary>
internal sealed class FakeEngine : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _readinessProbes;

    private FakeEngine(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    /// <summary>Every body received, in order, with its path (e.g. <c>microserving/prep_recv</c>).</summary>
    public ConcurrentQueue<(string Path, JsonObject Body)> Requests { get; } = new();

    /// <summary>Requests whose connection the router dropped before the handler finished.</summary>
    public ConcurrentQueue<string> Aborted { get; } = new();

    /// <summary>How many readiness probes (<c>GET /v1/models</c>) the router sent; each follows that tick's progress check.</summary>
    public int ReadinessProbes => Volatile.Read(ref _readinessProbes);

    /// <summary>The status readiness probes get: 200 by default, anything else makes the engine look not ready.</summary>
    public int ReadinessStatus { get; set; } = 200;

    public Func<HttpContext, string, JsonObject, Task> Handler { get; set; } = (context, _, _) => WriteTextAsync(context, 404, "");

    public static async Task<FakeEngine> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var engine = new FakeEngine(app);
        app.MapPost("/{**path}", engine.HandleAsync);
        app.MapGet("/v1/models", engine.AnswerReadinessAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        engine.Address = new Uri(address);
        return engine;
    }

    private Task AnswerReadinessAsync(HttpContext context)
    {
        Interlocked.Increment(ref _readinessProbes);
        return WriteTextAsync(context, ReadinessStatus, """{"object":"list","data":[]}""", "application/json");
    }

    public IEnumerable<JsonObject> BodiesFor(string path) => Requests.Where(r => r.Path == path).Select(r => r.Body);

    private async Task HandleAsync(HttpContext context, string path)
    {
        var body = (JsonObject)(await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted))!;
        Requests.Enqueue((path, body));
        try
        {
            await Handler(context, path, body);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            Aborted.Enqueue(path);
        }
    }

    /// <summary>One <c>text_completion</c> chunk as MLC serialises it (compact, nulls present).</summary>
    public static string Chunk(string id, string text, string? finishReason = null, int index = 0) =>
        new JsonObject
        {
            ["id"] = id,
            ["choices"] = new JsonArray(new JsonObject { ["finish_reason"] = finishReason, ["index"] = index, ["logprobs"] = null, ["text"] = text }),
            ["created"] = 1737000000,
            ["model"] = null,
            ["object"] = "text_completion",
            ["usage"] = null,
        }.ToJsonString();

    public static string UsageChunk(string id, int prompt, int completion) =>
        new JsonObject
        {
            ["id"] = id,
            ["choices"] = new JsonArray(),
            ["created"] = 1737000000,
            ["model"] = null,
            ["object"] = "text_completion",
            ["usage"] = new JsonObject { ["prompt_tokens"] = prompt, ["completion_tokens"] = completion, ["total_tokens"] = prompt + completion, ["extra"] = null },
        }.ToJsonString();

    /// <summary>Writes SSE the way MLC does: <c>data: {json}\n\n</c> per chunk, then <c>data: [DONE]\n\n</c>.</summary>
    public static async Task WriteSseAsync(HttpContext context, IEnumerable<string> chunks, bool done = true)
    {
        context.Response.ContentType = "text/event-stream";
        foreach (var chunk in chunks)
        {
            await context.Response.WriteAsync($"data: {chunk}\n\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }

        if (done)
        {
            await context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
        }
    }

    /// <summary>
    /// The tokens of <paramref name="texts"/> for the request id in the body: a complete stream when the body asks
    /// for one, else MLC's joined answer (mlc-protocol.md §2.3).
    /// </summary>
    public static Task StreamTextAsync(HttpContext context, JsonObject body, params string[] texts)
    {
        var id = body["user"]!.GetValue<string>();
        if (body["stream"]?.GetValue<bool>() != true)
        {
            return WriteTextAsync(context, 200, Answer(id, string.Concat(texts), "stop", prompt: 3, completion: texts.Length), "application/json");
        }

        var chunks = texts.Select((text, i) => Chunk(id, text, i == texts.Length - 1 ? "stop" : null)).ToList();
        chunks.Add(UsageChunk(id, 3, texts.Length));
        return WriteSseAsync(context, chunks);
    }

    /// <summary>A non-streamed <c>text_completion</c> with one choice and usage, as MLC answers one.</summary>
    public static string Answer(string id, string text, string? finishReason, int prompt, int completion) =>
        new JsonObject
        {
            ["id"] = id,
            ["choices"] = new JsonArray(new JsonObject { ["finish_reason"] = finishReason, ["index"] = 0, ["logprobs"] = null, ["text"] = text }),
            ["created"] = 1737000000,
            ["model"] = null,
            ["object"] = "text_completion",
            ["usage"] = new JsonObject { ["prompt_tokens"] = prompt, ["completion_tokens"] = completion, ["total_tokens"] = prompt + completion, ["extra"] = null },
        }.ToJsonString();

    public static async Task WriteTextAsync(HttpContext context, int status, string text, string contentType = "text/plain")
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        await context.Response.WriteAsync(text, Encoding.UTF8, context.RequestAborted);
    }

    /// <summary>MLC's double-encoded error: a JSON string holding the error object (mlc-protocol.md §2.5).</summary>
    public static Task WriteMlcErrorAsync(HttpContext context, int status, string message) =>
        WriteTextAsync(context, status,
            JsonValue.Create(new JsonObject { ["object"] = "error", ["message"] = message, ["code"] = status }.ToJsonString())!.ToJsonString(),
            "application/json");

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
