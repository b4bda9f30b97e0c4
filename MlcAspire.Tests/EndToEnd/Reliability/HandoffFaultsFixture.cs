using MlcAspire.Tests.EndToEnd.Router;

namespace MlcAspire.Tests.EndToEnd.Reliability;

/// <summary>
/// One world of four timing-model engines (20 ms a decode step, so a generation of 200 tokens streams for seconds),
/// each with the fault switch that holds one handoff phase, and three real router processes over pairs of them:
/// <list type="bullet">
/// <item>engine-0: prefill, holds every remote_send (<c>stall_remote_send_ms</c>);</item>
/// <item>engine-1: decode, a KV cache of 16 pages (256 positions), so that two generations preempt one another and a
/// prep_recv can wait for pages;</item>
/// <item>engine-2: decode, answers every prep_recv seconds after its slots are reserved (<c>stall_prep_recv_ms</c>);</item>
/// <item>engine-3: prefill, no fault.</item>
/// </list>
/// </summary>
public sealed class HandoffFaultsFixture : IAsyncLifetime
{
    /// <summary>Long enough that a held call only ends when its caller leaves.</summary>
    private const string Held = "600000";

    /// <summary>A prep_recv answer that comes seconds after the slots were reserved, well inside the router's
    /// PrepRecvTimeout: the router keeps reading it after its client left, so that it knows D parked and releases it.</summary>
    private const string SlowPrepRecvAnswer = "4000";

    internal ReferenceEngineCluster World { get; private set; } = null!;

    /// <summary>engine-0 (held remote_send) → engine-1 (small cache): remote_send is held for every prompt longer than one token.</summary>
    internal AspireApp HeldRemoteSendRouter { get; private set; } = null!;

    /// <summary>engine-3 → engine-2 (held prep_recv).</summary>
    internal AspireApp HeldPrepRecvRouter { get; private set; } = null!;

    /// <summary>
    /// engine-3 → engine-2 with a <c>PrepRecvTimeout</c> far shorter than engine-2's slow answer: the router's prep_recv
    /// times out after engine-2 parked the window, the answer lost.
    /// </summary>
    internal AspireApp TimedOutPrepRecvRouter { get; private set; } = null!;

    /// <summary>engine-3 → engine-1: every phase runs.</summary>
    internal AspireApp StreamingRouter { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var token = TestContext.Current.CancellationToken;
        World = await ReferenceEngineCluster.StartAsync(
            [
                new ClusterEngine(Faults: "stall_remote_send_ms=" + Held),
                new ClusterEngine(Overrides: "max_total_seq_length=256;max_num_sequence=4;prefill_chunk_size=64"),
                new ClusterEngine(Faults: "stall_prep_recv_ms=" + SlowPrepRecvAnswer),
                new ClusterEngine(),
            ],
            prefixCache: false,
            Path.Combine(RepositoryPaths.Root, "models", "reference-timing"),
            token);

        // Only the faults under test may open a circuit, not a readiness answer slowed by a starved machine.
        var settings = new Dictionary<string, string> { ["Router__ProbeTimeout"] = "00:00:30" };
        var routers = await Task.WhenAll(
            World.StartRouterAsync([0, 1], settings, ["--endpoint-roles", "Prefill", "Decode"], token),
            World.StartRouterAsync([3, 2], settings, ["--endpoint-roles", "Prefill", "Decode"], token),
            World.StartRouterAsync([3, 1], settings, ["--endpoint-roles", "Prefill", "Decode"], token),
            World.StartRouterAsync([3, 2], new Dictionary<string, string>(settings) { ["Router__PrepRecvTimeout"] = "00:00:00.5" },
                ["--endpoint-roles", "Prefill", "Decode"], token));
        (HeldRemoteSendRouter, HeldPrepRecvRouter, StreamingRouter, TimedOutPrepRecvRouter) = (routers[0], routers[1], routers[2], routers[3]);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var router in ((AspireApp?[])[HeldRemoteSendRouter, HeldPrepRecvRouter, StreamingRouter, TimedOutPrepRecvRouter]).OfType<AspireApp>())
        {
            await router.DisposeAsync();
        }

        if (World is not null)
        {
            await World.DisposeAsync();
        }
    }
}
