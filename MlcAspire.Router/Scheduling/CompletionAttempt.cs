namespace MlcAspire.Router.Scheduling;

/// <summary>One try at a completion: the request and the id the router made for this attempt (sent as <c>user</c>).</summary>
/// <param name="Number">0 for the first attempt, then 1, 2… for preempt retries.</param>
public sealed record CompletionAttempt(CompletionRequest Request, string RequestId, int Number)
{
    /// <summary>The routing context the strategy used, when it used one: its decisions go into the <c>X-Mlc-Route</c> header.</summary>
    public RouteContext? Route { get; set; }

    /// <summary>A fresh engine request id: unique per attempt, as MicroServing requires cluster-wide (mlc-protocol.md §4.1).</summary>
    public static string NewRequestId() => "cmpl-" + Guid.NewGuid().ToString("N");
}
