namespace MlcAspire.Router.Scheduling;

/// <summary>Why a routing decision chose its engine.</summary>
public enum RouteReason
{
    /// <summary>The fewest requests in flight (rotating among ties): no engine held enough of the prompt, or the policy is least-loaded.</summary>
    LeastLoaded,

    /// <summary>The longest matched prefix among the engines whose load is within the margins of the least loaded.</summary>
    Cache,

    /// <summary>The engine the request's session used last, which is not overloaded.</summary>
    Session,
}
