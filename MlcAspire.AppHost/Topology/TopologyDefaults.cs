using MlcAspire.Contracts;

namespace MlcAspire.AppHost.Topology;

internal static class TopologyDefaults
{
    /// <summary>
    /// MLC's layout when no roles are given: in disagg mode engine 0 is the one prefill engine and every
    /// other engine decodes; in round-robin mode every engine serves whole requests.
    /// </summary>
    public static IReadOnlyList<EngineRole> Roles(TopologyOptions options) =>
        options.EndpointRoles ?? [.. Enumerable.Range(0, options.EngineCount).Select(i => options.RouterMode switch
        {
            RouterMode.Disagg => i == 0 ? EngineRole.Prefill : EngineRole.Decode,
            _ => EngineRole.Both,
        })];

    /// <summary>MLC's <c>device_id_starts</c>: the running sum of <c>--endpoint-num-gpus</c>, total last (mlc-protocol.md §1.4).</summary>
    public static IReadOnlyList<int> DeviceStarts(TopologyOptions options)
    {
        var starts = new List<int>(options.EngineCount + 1) { 0 };
        foreach (var gpus in options.EndpointNumGpus)
        {
            starts.Add(starts[^1] + gpus);
        }

        return starts;
    }
}
