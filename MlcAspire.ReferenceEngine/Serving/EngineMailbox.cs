using System.Threading.Channels;

namespace MlcAspire.ReferenceEngine.Serving;

/// <summary>The only way into the engine loop: HTTP handlers post commands, the loop drains them between steps.</summary>
internal sealed class EngineMailbox
{
    private readonly Channel<EngineCommand> _commands = Channel.CreateUnbounded<EngineCommand>(new UnboundedChannelOptions { SingleReader = true });
    private EngineStats? _stats;

    public ChannelReader<EngineCommand> Reader => _commands.Reader;

    /// <summary>The latest snapshot the loop published.</summary>
    public EngineStats? Stats => Volatile.Read(ref _stats);

    public void Publish(EngineStats stats) => Volatile.Write(ref _stats, stats);

    /// <summary>Submits a request; its events arrive on the ticket's reader, which completes after the last one.</summary>
    public EngineTicket Submit(Func<ChannelWriter<EngineEvent>, EngineRequest> create)
    {
        var events = Channel.CreateUnbounded<EngineEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
        var request = create(events.Writer);
        _commands.Writer.TryWrite(new SubmitCommand(request));
        return new EngineTicket(request.Id, events.Reader, events.Writer);
    }

    /// <summary>Aborts the request of <paramref name="ticket"/>, and only it: another request that took the same id is left alone.</summary>
    public void Abort(EngineTicket ticket) => _commands.Writer.TryWrite(new AbortCommand(ticket.Id, ticket.Writer));
}

/// <summary>A submitted request as its HTTP handler holds it.</summary>
internal sealed record EngineTicket(string Id, ChannelReader<EngineEvent> Events, ChannelWriter<EngineEvent> Writer);
