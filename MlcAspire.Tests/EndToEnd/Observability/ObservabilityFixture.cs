namespace MlcAspire.Tests.EndToEnd.Observability;

/// <summary>
/// The default application (two reference engines, disaggregated) started with <c>--otlp-endpoint</c> pointing at an
/// in-test OTLP receiver, and every resource's console output captured.
/// </summary>
public sealed class ObservabilityFixture : AspireAppFixture
{
    private readonly StringWriter _output = new();
    private readonly TextWriter _synchronizedOutput;

    public ObservabilityFixture() => _synchronizedOutput = TextWriter.Synchronized(_output);

    internal OtlpReceiver Receiver { get; private set; } = null!;

    /// <summary>Every output line of every resource so far, as <c>[name] line</c>.</summary>
    internal string Output
    {
        get
        {
            lock (_synchronizedOutput)
            {
                return _output.ToString();
            }
        }
    }

    protected override IReadOnlyList<string> Args => ["--otlp-endpoint", Receiver.Endpoint.ToString()];

    protected override TextWriter? ResourceOutput => _synchronizedOutput;

    protected override async ValueTask BeforeStartAsync(CancellationToken cancellationToken) =>
        Receiver = await OtlpReceiver.StartAsync(cancellationToken);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (Receiver is not null)
        {
            await Receiver.DisposeAsync();
        }

        _output.Dispose();
    }
}
