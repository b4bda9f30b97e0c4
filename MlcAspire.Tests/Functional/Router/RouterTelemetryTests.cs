using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Http;
using MlcAspire.Contracts;
using MlcAspire.Router.Telemetry;

namespace MlcAspire.Tests.Functional.Router;

[Trait("Category", "Functional")]
public sealed class RouterTelemetryTests
{
    [Fact]
    public async Task DisaggregatedRequest_EmitsOneSpanPerEngineCall_TaggedWithEngineRoleAndOutcome()
    {
        var token = TestContext.Current.CancellationToken;
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == RouterTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var prefill = await FakeEngine.StartAsync(token);
        await using var decode = await FakeEngine.StartAsync(token);
        prefill.Handler = (context, _, _) => context.Response.WriteAsync("{}", token);
        decode.Handler = (context, path, body) => path == "microserving/prep_recv"
            ? context.Response.WriteAsync("""{"kv_append_metadata":"CgAAAAAAAABbMSw0MDk2LDJd","prefix_matched_length":0}""", token)
            : FakeEngine.StreamTextAsync(context, body, "A");
        await using var router = new RouterFactory(RouterFactory.Settings("disagg", [("Prefill", prefill), ("Decode", decode)]));
        using var client = router.CreateClient();

        using var response = await client.PostCompletionAsync("""{"prompt":[1,2,3]}""", token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var id = decode.Requests.First().Body["user"]!.GetValue<string>();
        var mine = spans.Where(span => (string?)span.GetTagItem(RouterTelemetry.RequestIdTag) == id).ToList();
        Assert.Equal(
            ["microserving/prep_recv|engine-1|decode|Success", "microserving/remote_send|engine-0|prefill|Success", "microserving/start_generate|engine-1|decode|Success"],
            mine.Select(span => $"{span.OperationName}|{span.GetTagItem(RouterTelemetry.EngineTag)}|{span.GetTagItem(RouterTelemetry.RoleTag)}|{span.GetTagItem(RouterTelemetry.OutcomeTag)}").Order());
    }
}
