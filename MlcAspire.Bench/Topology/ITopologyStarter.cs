namespace MlcAspire.Bench.Topology;

/// <summary>The seam between the bench and whatever runs the processes: start them here, or attach to running ones.</summary>
internal interface ITopologyStarter
{
    Task<RunningTopology> StartAsync(TopologyRequest request, CancellationToken cancellationToken);
}
