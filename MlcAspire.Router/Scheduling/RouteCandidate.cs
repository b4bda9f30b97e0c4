namespace MlcAspire.Router.Scheduling;

/// <summary>One engine as a routing decision scored it.</summary>
/// <param name="Load">Requests in flight on it when the decision was made.</param>
/// <param name="MatchedTokens">Prompt tokens it probably holds (the prefix index's match), 0 without a prompt or under least-loaded.</param>
/// <param name="Suspect">Its last call failed, so it comes after every engine whose did not.</param>
public readonly record struct RouteCandidate(EngineState Engine, int Load, int MatchedTokens, bool Suspect);
