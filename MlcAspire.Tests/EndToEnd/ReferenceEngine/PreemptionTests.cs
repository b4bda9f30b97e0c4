using System.Net;
using static MlcAspire.Tests.EndToEnd.ReferenceEngine.EngineCalls;

namespace MlcAspire.Tests.EndToEnd.ReferenceEngine;

/// <summary>An engine whose KV cache holds 16 pages (256 positions), so two long generations cannot both fit.</summary>
public sealed class SmallEngineFixture : IAsyncLifetime
{
    internal EngineProcess Engine { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Engine = EngineProcess.Start(["--enable-debug", "--prefix-cache-mode", "disable", "--overrides", "max_total_seq_length=256;max_num_sequence=4;prefill_chunk_size=64"]);
        await Engine.WaitReadyAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync() => await Engine.DisposeAsync();
}

/// <summary>When pages run out the newest running request is preempted and recomputed later (disaggregated: <see cref="DisaggregatedPreemptionTests"/>).</summary>
[Trait("Category", "EndToEnd")]
public sealed class PreemptionTests(SmallEngineFixture fixture) : IClassFixture<SmallEngineFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ConcurrentLongRequests_ArePreemptedAndStillMatchTheirSoloOutput()
    {
        var client = fixture.Engine.Client;
        var first = GreedyBody(Prompt(seed: 601, 40), maxTokens: 150);
        var second = GreedyBody(Prompt(seed: 602, 40), maxTokens: 150);
        var soloFirst = ReadGeneration(await PostOkAsync(client, "/v1/completions", first, Ct));
        var soloSecond = ReadGeneration(await PostOkAsync(client, "/v1/completions", second, Ct));
        var preemptionsBefore = (await fixture.Engine.MetricsAsync(Ct))["mlc_reference_preemptions_total"];

        var together = await Task.WhenAll(
            PostOkAsync(client, "/v1/completions", first, Ct),
            PostOkAsync(client, "/v1/completions", second, Ct));

        Assert.True((await fixture.Engine.MetricsAsync(Ct))["mlc_reference_preemptions_total"] > preemptionsBefore);
        Assert.True(ReadGeneration(together[0]).SameTokensAs(soloFirst));
        Assert.True(ReadGeneration(together[1]).SameTokensAs(soloSecond));
        await fixture.Engine.WaitIdleAsync(Ct);
    }

    [Fact]
    public async Task PrepRecvWaitingForPages_ClientDisconnects_LeavesNoPendingState()
    {
        var client = fixture.Engine.Client;
        var parked = GreedyBody(Prompt(seed: 605, 120), user: "holds-pages");
        parked["end"] = 100;
        await PostOkAsync(client, "/microserving/prep_recv", parked, Ct);

        // 10 pages for this window while the parked one holds 7 of the 16: the call waits, as MLC's does.
        var waiting = GreedyBody(Prompt(seed: 606, 170), user: "waits-for-pages");
        waiting["end"] = 160;
        using var leaving = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var prepare = PostAsync(client, "/microserving/prep_recv", waiting, leaving.Token);
        await WaitForMetricAsync("mlc_reference_pending_receives", 1);
        await leaving.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => prepare);
        await WaitForMetricAsync("mlc_reference_pending_receives", 0);

        parked.Remove("end");
        parked["begin"] = 100;
        parked["stream"] = true;
        using (var release = await PostAsync(client, "/microserving/start_generate", parked, Ct, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, release.StatusCode);
        }

        await fixture.Engine.WaitIdleAsync(Ct);
    }

    [Fact]
    public async Task PrepRecvLargerThanTheCache_IsRejected()
    {
        var body = GreedyBody(Prompt(seed: 607, 400), user: "too-large");
        body["end"] = -1;

        using var response = await PostAsync(fixture.Engine.Client, "/microserving/prep_recv", body, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("KV pages", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    private async Task WaitForMetricAsync(string name, double value)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while ((await fixture.Engine.MetricsAsync(timeout.Token))[name] != value)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), timeout.Token);
        }
    }
}
