namespace MlcAspire.Router.Admission;

/// <summary>
/// Bytes of request bodies held by admitted completions, bounded by <see cref="RequestLimitsOptions.MaxInFlightBodyBytes"/>:
/// the in-flight slots bound how many bodies are read at once, this bounds what they weigh, so a flood of bodies at
/// the size limit cannot hold more memory than configured. A body counts its declared length, or the body limit
/// when it is chunked, from admission until its completion ends (its prompt stays in memory that long).
/// </summary>
internal sealed class BodyBudget(IOptions<RequestLimitsOptions> limits)
{
    private readonly long _capacity = limits.Value.MaxInFlightBodyBytes;
    private long _held;

    /// <summary>Bytes held now.</summary>
    public long Held => Volatile.Read(ref _held);

    public long Capacity => _capacity;

    /// <summary>Takes <paramref name="bytes"/> of the budget; false, taking nothing, when they do not fit.</summary>
    public bool TryReserve(long bytes)
    {
        var held = Volatile.Read(ref _held);
        while (true)
        {
            if (held + bytes > _capacity)
            {
                return false;
            }

            var seen = Interlocked.CompareExchange(ref _held, held + bytes, held);
            if (seen == held)
            {
                return true;
            }

            held = seen;
        }
    }

    public void Release(long bytes) => Interlocked.Add(ref _held, -bytes);
}
