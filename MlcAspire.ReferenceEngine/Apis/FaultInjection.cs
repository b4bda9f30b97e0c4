using System.Runtime.CompilerServices;
using MlcAspire.ReferenceEngine.Cli;

namespace MlcAspire.ReferenceEngine.Apis;

/// <summary>
/// Applies the test faults of <see cref="EngineFaults"/> to an SSE stream as it is sent: a stall between events, a cut
/// connection, a clean but early end without <c>[DONE]</c>, or a data line that is not JSON, each once N events went
/// out. Wraps the events of every shape (completion or chat) the way <see cref="Telemetry.ChunkTimeLog"/> does.
/// </summary>
internal sealed class FaultInjection(EngineFaults faults, TimeProvider timeProvider)
{
    public bool Enabled { get; } = faults.AbortStreamAfterChunks is not null || faults.EndStreamAfterChunks is not null
        || faults.InvalidJsonAfterChunks is not null || faults.StallBetweenChunks > TimeSpan.Zero;

    public async IAsyncEnumerable<string> ApplyAsync(HttpContext context, IAsyncEnumerable<string> events, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var sent = 0;
        await foreach (var data in events.WithCancellation(cancellationToken))
        {
            if (faults.AbortStreamAfterChunks is { } abortAfter && sent >= abortAfter)
            {
                // Cut the connection mid-stream, as a crashing engine would. Leaving the loop disposes the inner stream,
                // which aborts the request and frees its pages.
                context.Abort();
                yield break;
            }

            if (faults.EndStreamAfterChunks is { } endAfter && sent >= endAfter)
            {
                yield break;
            }

            if (faults.InvalidJsonAfterChunks is { } jsonAfter && sent >= jsonAfter)
            {
                yield return "{\"choices\": [not json";
                yield break;
            }

            if (sent > 0 && faults.StallBetweenChunks > TimeSpan.Zero)
            {
                await Task.Delay(faults.StallBetweenChunks, timeProvider, cancellationToken);
            }

            sent++;
            yield return data;
        }
    }
}
