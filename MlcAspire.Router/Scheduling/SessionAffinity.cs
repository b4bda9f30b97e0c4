namespace MlcAspire.Router.Scheduling;

/// <summary>
/// The engine each session last ran on, per selection, with least-recently-used forgetting beyond a cap. An agent
/// loop's next request extends the last one, so that engine holds its prefix even when the router cannot see the
/// prompt's tokens (least-loaded policy, or a model the router cannot tokenize).
/// </summary>
internal sealed class SessionAffinity(int maxSessions)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string, EngineSelection), LinkedListNode<((string, EngineSelection) Key, EngineState Engine)>> _sessions = [];
    private readonly LinkedList<((string, EngineSelection) Key, EngineState Engine)> _recency = new();

    public EngineState? Find(string? sessionId, EngineSelection selection)
    {
        if (sessionId is null)
        {
            return null;
        }

        lock (_lock)
        {
            return _sessions.TryGetValue((sessionId, selection), out var node) ? node.Value.Engine : null;
        }
    }

    public void Remember(string? sessionId, EngineSelection selection, EngineState engine)
    {
        if (sessionId is null || maxSessions == 0)
        {
            return;
        }

        var key = (sessionId, selection);
        lock (_lock)
        {
            if (_sessions.Remove(key, out var old))
            {
                _recency.Remove(old);
            }
            else if (_sessions.Count >= maxSessions && _recency.Last is { } oldest)
            {
                _sessions.Remove(oldest.Value.Key);
                _recency.RemoveLast();
            }

            _sessions[key] = _recency.AddFirst((key, engine));
        }
    }
}
