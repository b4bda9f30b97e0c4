namespace MlcAspire.AppHost.Running;

/// <summary>
/// Writes every resource's output lines with the resource's name in front, one whole line at a time, and keeps
/// the last lines of each so that a failure to start can say what the process printed.
/// </summary>
internal sealed class ResourceOutput(TextWriter writer)
{
    private const int TailLength = 20;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Queue<string>> _tails = new(StringComparer.Ordinal);

    public void WriteLine(string resource, string line)
    {
        lock (_lock)
        {
            writer.WriteLine($"[{resource}] {line}");
            if (!_tails.TryGetValue(resource, out var tail))
            {
                _tails[resource] = tail = new Queue<string>(TailLength);
            }

            if (tail.Count == TailLength)
            {
                tail.Dequeue();
            }

            tail.Enqueue(line);
        }
    }

    public void Write(string text)
    {
        lock (_lock)
        {
            writer.Write(text);
            writer.Flush();
        }
    }

    public string Tail(string resource)
    {
        lock (_lock)
        {
            return _tails.TryGetValue(resource, out var tail) && tail.Count > 0
                ? string.Join(Environment.NewLine, tail)
                : "(no output)";
        }
    }
}
