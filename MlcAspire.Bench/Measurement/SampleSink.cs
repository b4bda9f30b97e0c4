namespace MlcAspire.Bench.Measurement;

/// <summary>Collects the samples and proxy-process readings of one target in one experiment, across slices.</summary>
internal sealed class SampleSink
{
    private readonly Lock _lock = new();
    private readonly List<RequestSample> _samples = new(4096);

    public double WallSeconds { get; private set; }

    public double ProxyCpuSeconds { get; private set; }

    public long ProxyPeakRssBytes { get; private set; }

    public bool HasProxy { get; private set; }

    /// <summary>The proxy's resident memory at the end of each slice (the soak preset's growth curve).</summary>
    public List<long> RssBySlice { get; } = [];

    public void Add(in RequestSample sample)
    {
        lock (_lock)
        {
            _samples.Add(sample);
        }
    }

    public void AddSlice(double wallSeconds, ProcessSnapshot? before, ProcessSnapshot? after)
    {
        WallSeconds += wallSeconds;
        if (before is { } b && after is { } a)
        {
            HasProxy = true;
            ProxyCpuSeconds += a.CpuSeconds - b.CpuSeconds;
            ProxyPeakRssBytes = Math.Max(ProxyPeakRssBytes, a.PeakRssBytes);
            RssBySlice.Add(a.RssBytes);
        }
    }

    public RequestSample[] Snapshot()
    {
        lock (_lock)
        {
            return [.. _samples];
        }
    }
}
