namespace MlcAspire.Bench.Topology;

/// <summary>Uses engines and routers that are already running (<c>--engine URL</c>, <c>--router NAME=URL[,PID]</c>).</summary>
internal sealed class AttachedTopologyStarter(IReadOnlyList<Uri> engines, IReadOnlyDictionary<string, (Uri Url, int? Pid)> routers, HttpClient http)
    : ITopologyStarter
{
    public async Task<RunningTopology> StartAsync(TopologyRequest request, CancellationToken cancellationToken)
    {
        var missing = request.Routers.Select(r => r.Name).Where(name => !routers.ContainsKey(name)).ToArray();
        if (missing.Length > 0)
        {
            Console.WriteLine($"Attached: no --router for {string.Join(", ", missing)}; those targets are skipped.");
        }

        if (request.Engines.Timing.Count > 0 || request.Engines.ExtraOverrides.Length > 0)
        {
            Console.WriteLine("Attached: the preset's engine settings are not applied; start the engines with " +
                              $"{TimingModelVariant.Describe(request.Engines.Timing)} {request.Engines.ExtraOverrides} to match.");
        }

        // The model id is what the engines were started with (mlc-protocol.md §2.6: /v1/models echoes the model argument).
        var model = request.Model;
        if (engines.Count > 0)
        {
            using var doc = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(new Uri(engines[0], "v1/models"), cancellationToken));
            model = doc.RootElement.GetProperty("data")[0].GetProperty("id").GetString() ?? model;
        }

        return new RunningTopology(model, engines, routers, []);
    }
}
