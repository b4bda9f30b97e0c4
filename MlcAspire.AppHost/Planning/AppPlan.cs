namespace MlcAspire.AppHost.Planning;

/// <summary>
/// The resources of one deployment, computed from the topology alone. The runner starts it and the manifest
/// writer publishes it; a real Aspire AppHost would map each <see cref="ResourcePlan"/> to an executable resource.
/// </summary>
/// <param name="Engines">engine-0 … engine-(n-1), in MLC's <c>--endpoint-*</c> order.</param>
/// <param name="Router">The router, which waits for every engine.</param>
/// <param name="NvshmemHelper">The uid helper of the engines' NVSHMEM world; null in round-robin mode.</param>
/// <param name="WorkingDirectory">Where relative paths (the model) resolve; every process starts there.</param>
internal sealed record AppPlan(
    IReadOnlyList<ResourcePlan> Engines,
    ResourcePlan Router,
    NvshmemHelperPlan? NvshmemHelper,
    string WorkingDirectory)
{
    public IEnumerable<ResourcePlan> Resources => Engines.Append(Router);
}
