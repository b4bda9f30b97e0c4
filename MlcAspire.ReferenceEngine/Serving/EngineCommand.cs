using System.Threading.Channels;

namespace MlcAspire.ReferenceEngine.Serving;

/// <summary>A message to the engine loop.</summary>
internal abstract record EngineCommand;

internal sealed record SubmitCommand(EngineRequest Request) : EngineCommand;

/// <summary>Drop a request wherever it is (queued, running, parked) and free its pages; <paramref name="Events"/> identifies which request holds the id.</summary>
internal sealed record AbortCommand(string RequestId, ChannelWriter<EngineEvent> Events) : EngineCommand;
