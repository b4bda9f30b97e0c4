namespace MlcAspire.Tests.EndToEnd;

/// <summary>
/// One started deployment per test class (the default topology: two reference engines, disaggregated), so that
/// read-only end-to-end tests share its processes. Tests that break resources create their own <see cref="TestingApp"/>.
/// </summary>
public sealed class TestingAppFixture : IAsyncLifetime
{
    private TestingApp? _app;

    internal TestingApp App => _app ?? throw new InvalidOperationException("The fixture has not started.");

    public async ValueTask InitializeAsync()
    {
        _app = TestingApp.Create();
        var cancellationToken = TestContext.Current.CancellationToken;
        await _app.StartAsync(cancellationToken).WaitAsync(TestingApp.DefaultTimeout, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
