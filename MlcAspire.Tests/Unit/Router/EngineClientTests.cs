using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MlcAspire.Contracts;
using MlcAspire.Router;
using MlcAspire.Router.Forwarding;
using MlcAspire.Router.Health;
using MlcAspire.Router.Protocol;
using MlcAspire.Router.Scheduling;

namespace MlcAspire.Tests.Unit.Router;

[Trait("Category", "Unit")]
public sealed class EngineClientTests
{
    private static readonly EngineState Engine = new("engine-0", EngineRole.Both, 0, new EngineHealth(TimeProvider.System, 3, TimeSpan.FromSeconds(5)));

    [Theory]
    [InlineData(400, EngineCallError.EngineRejected, 400)]
    [InlineData(404, EngineCallError.EngineRejected, 404)]
    [InlineData(422, EngineCallError.EngineRejected, 422)]
    [InlineData(500, EngineCallError.EngineFailed, 502)]
    [InlineData(503, EngineCallError.EngineFailed, 502)]
    public async Task SendAsync_NonSuccessStatus_IsMappedToAFailure(int status, EngineCallError error, int clientStatus)
    {
        var client = Create((_, _) => Task.FromResult(new HttpResponseMessage((HttpStatusCode)status) { Content = new StringContent("""{"detail":"no"}""") }));
        using var timeout = new ActivityTimeout(TimeProvider.System, TimeSpan.FromMinutes(1), CancellationToken.None);

        await using var response = await client.SendAsync(Engine, "v1/completions", "both", "cmpl-1", Body("{}"), timeout, TestContext.Current.CancellationToken);

        Assert.Equal(error, response.Failure!.Error);
        Assert.Equal(clientStatus, response.Failure.ClientStatusCode);
        Assert.Equal("no", response.Failure.Message);
    }

    [Fact]
    public async Task SendAsync_TransportFailure_Is502()
    {
        var client = Create((_, _) => throw new HttpRequestException("connection refused"));
        using var timeout = new ActivityTimeout(TimeProvider.System, TimeSpan.FromMinutes(1), CancellationToken.None);

        await using var response = await client.SendAsync(Engine, "v1/completions", "both", "cmpl-1", Body("{}"), timeout, TestContext.Current.CancellationToken);

        Assert.Equal(EngineCallError.Transport, response.Failure!.Error);
        Assert.Equal(502, response.Failure.ClientStatusCode);
    }

    [Fact]
    public async Task SendAsync_EngineSilentPastThePhaseTimeout_Is504()
    {
        var clock = new FakeTimeProvider();
        var sent = new TaskCompletionSource();
        var client = Create(async (_, cancellationToken) =>
        {
            sent.SetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return new HttpResponseMessage();
        });
        using var timeout = new ActivityTimeout(clock, TimeSpan.FromSeconds(30), CancellationToken.None);

        var call = client.SendAsync(Engine, "microserving/prep_recv", "decode", "cmpl-1", Body("{}"), timeout, CancellationToken.None).AsTask();
        await sent.Task.WaitAsync(TestContext.Current.CancellationToken);
        clock.Advance(TimeSpan.FromSeconds(30));
        await using var response = await call.WaitAsync(TestContext.Current.CancellationToken);

        Assert.Equal(EngineCallError.Timeout, response.Failure!.Error);
        Assert.Equal(504, response.Failure.ClientStatusCode);
    }

    [Fact]
    public async Task SendAsync_CallerCancels_IsCanceledNotTimeout()
    {
        using var caller = new CancellationTokenSource();
        var client = Create(async (_, cancellationToken) =>
        {
            await caller.CancelAsync();
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return new HttpResponseMessage();
        });
        using var timeout = new ActivityTimeout(new FakeTimeProvider(), TimeSpan.FromSeconds(30), caller.Token);

        await using var response = await client.SendAsync(Engine, "v1/completions", "both", "cmpl-1", Body("{}"), timeout, caller.Token);

        Assert.Equal(EngineCallError.Canceled, response.Failure!.Error);
    }

    [Fact]
    public async Task SendAsync_PostsTheBodyAsJson_ToTheEnginesLogicalAddress()
    {
        HttpRequestMessage? seen = null;
        string? body = null;
        var client = Create(async (request, cancellationToken) =>
        {
            seen = request;
            body = await request.Content!.ReadAsStringAsync(cancellationToken);
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        });
        using var timeout = new ActivityTimeout(TimeProvider.System, TimeSpan.FromMinutes(1), CancellationToken.None);

        var (json, failure) = await client.PostForJsonAsync(Engine, "microserving/remote_send", "prefill", "cmpl-1", Body("""{"begin":3}"""), timeout, TestContext.Current.CancellationToken);

        Assert.Null(failure);
        Assert.Equal("{}", json!.ToJsonString());
        Assert.Equal(new Uri("http://engine-0/microserving/remote_send"), seen!.RequestUri);
        Assert.Equal("application/json", seen.Content!.Headers.ContentType!.MediaType);
        Assert.Equal("""{"begin":3}""", body);
    }

    private static EngineRequestBody Body(string json) => new(Encoding.UTF8.GetBytes(json), null, []);

    private static EngineClient Create(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> send) =>
        new(new HttpClient(new DelegateHandler(send)) { Timeout = Timeout.InfiniteTimeSpan }, TimeProvider.System, NullLogger<EngineClient>.Instance);

    private sealed class DelegateHandler(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> send) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => send(request, cancellationToken);
    }
}
