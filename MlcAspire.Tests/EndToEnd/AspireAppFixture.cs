namespace MlcAspire.Tests.EndToEnd;

/// <summary>
/// One started application per test class, shared by its tests (the default topology unless a subclass gives other
/// arguments or environment): starting it is the slow part. Tests that break resources start their own.
/// </summary>
public class AspireAppFixture : IAsyncLifetime
{
    private AspireApp? _app;

    internal AspireApp App => _app ?? throw new InvalidOperationException("The fixture has not started.");

    /// <summary>The AppHost's arguments (before free ports are chosen).</summary>
    protected virtual IReadOnlyList<string> Args => [];

    /// <summary>Extra environment per resource name.</summary>
    protected virtual IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? Environment => null;

    /// <summary>Where resource output lines go, if anywhere.</summary>
    protected virtual TextWriter? ResourceOutput => null;

    /// <summary>Runs before the application starts (e.g. a receiver its arguments name).</summary>
    protected virtual ValueTask BeforeStartAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public async ValueTask InitializeAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await BeforeStartAsync(cancellationToken);
        _app = await AspireApp.StartAsync(Args, cancellationToken, Environment, output: ResourceOutput);
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
