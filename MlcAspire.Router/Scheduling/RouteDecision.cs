namespace MlcAspire.Router.Scheduling;

/// <summary>One engine choice and everything it was made from, for the span, the debug log and the route header.</summary>
/// <param name="Candidates">Every engine that qualified, in the order scanned.</param>
public sealed record RouteDecision(EngineSelection Selection, EngineState Winner, RouteReason Reason, int PromptTokens, RouteCandidate[] Candidates)
{
    public RouteCandidate WinnerCandidate => Array.Find(Candidates, c => c.Engine == Winner);

    /// <summary><c>engine-0:matched=1024,load=2;engine-1:matched=0,load=1</c>: compact enough for a span tag and a log line.</summary>
    public string DescribeCandidates() =>
        string.Join(';', Candidates.Select(c => $"{c.Engine.Name}:matched={c.MatchedTokens},load={c.Load}{(c.Suspect ? ",suspect" : "")}"));
}
