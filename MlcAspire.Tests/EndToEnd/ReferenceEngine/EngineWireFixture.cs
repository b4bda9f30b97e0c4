namespace MlcAspire.Tests.EndToEnd.ReferenceEngine;

/// <summary>
/// Two stand-alone engines for the wire tests, started once for the test class: one as the AppHost starts it
/// (<c>--enable-debug</c>), and one without <c>--enable-debug</c> and with <c>--api-key</c>.
/// </summary>
public sealed class EngineWireFixture : IAsyncLifetime
{
    public const string ApiKey = "test-key";

    internal EngineProcess Debug { get; private set; } = null!;

    internal EngineProcess Plain { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Debug = EngineProcess.Start(["--enable-debug", "--mode", "server", "--overrides", "max_num_sequence=8;max_total_seq_length=8192"]);
        Plain = EngineProcess.Start([], apiKey: ApiKey);
        await Task.WhenAll(Debug.WaitReadyAsync(TestContext.Current.CancellationToken), Plain.WaitReadyAsync(TestContext.Current.CancellationToken));
    }

    public async ValueTask DisposeAsync()
    {
        await Debug.DisposeAsync();
        await Plain.DisposeAsync();
    }
}
