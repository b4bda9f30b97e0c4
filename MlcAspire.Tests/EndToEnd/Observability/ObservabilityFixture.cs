namespace MlcAspire.Tests.EndToEnd.Observability;

/// <summary>
/// The default deployment (two reference engines, disaggregated) started by the AppHost's runner with
/// <c>--otlp-endpoint</c> pointing at an in-test OTLP receiver, and every resource's output captured.
/// </summary>
public sealed class ObservabilityFixture : IAsyncLifetime
{
    private readonly StringWriter _output = new();
    private TextWriter? _synchronizedOutput;
    private TestingApp? _app;

    internal OtlpReceiver Receiver { get; private set; } = null!;

    internal TestingApp App => _app ?? throw new InvalidOperationException("The fixture has not started.");

    /// <summary>Every output line of every resource so far, as <c>[name] line</c>.</summary>
    internal string Output
    {
        get
        {
            lock (_synchronizedOutput!)
            {
                return _output.ToString();
            }
        }
    }

    public async ValueTask InitializeAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        Receiver = await OtlpReceiver.StartAsync(cancellationToken);
        _synchronizedOutput = TextWriter.Synchronized(_output);
        _app = TestingApp.Create(_synchronizedOutput, "--otlp-endpoint", Receiver.Endpoint.ToString());
        await _app.StartAsync(cancellationToken).WaitAsync(TestingApp.DefaultTimeout, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        if (Receiver is not null)
        {
            await Receiver.DisposeAsync();
        }

        _output.Dispose();
    }
}
