namespace MlcAspire.Router.Scheduling;

/// <summary>
/// The started generation of one attempt (the engine's open response and the timeout that guards it), or
/// why it could not start. It owns the attempt's engine leases and releases them when disposed.
/// </summary>
public sealed class CompletionStart : IAsyncDisposable
{
    private readonly IDisposable[] _owned;

    private CompletionStart(EngineResponse? response, EngineFailure? failure, ActivityTimeout? generationTimeout, IDisposable[] owned)
    {
        Response = response;
        Failure = failure;
        GenerationTimeout = generationTimeout;
        _owned = owned;
    }

    /// <summary>The generating engine's response (2xx, headers read); null on failure.</summary>
    public EngineResponse? Response { get; }

    public EngineFailure? Failure { get; }

    /// <summary>The token guarding the generation: a stream's is re-armed with the idle timeout on every read; a
    /// non-streamed answer's is its whole budget (<see cref="RouterOptions.CompletionTimeout"/>).</summary>
    public ActivityTimeout? GenerationTimeout { get; }

    public static CompletionStart Started(EngineResponse response, ActivityTimeout generationTimeout, params IDisposable[] owned) =>
        new(response, null, generationTimeout, owned);

    public static CompletionStart Failed(EngineFailure failure, params IDisposable?[] owned) =>
        new(null, failure, null, [.. owned.OfType<IDisposable>()]);

    public async ValueTask DisposeAsync()
    {
        if (Response is not null)
        {
            await Response.DisposeAsync();
        }

        GenerationTimeout?.Dispose();
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }
    }
}
