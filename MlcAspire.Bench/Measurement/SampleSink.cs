namespace MlcAspire.Bench.Measurement;

/// <summary>Collects the samples and proxy-process readings of one target in one experiment, across slices.</summary>
internal sealed class SampleSink
{
    /// <summary>Events whose arrival times one target keeps (8 bytes each): a long run does not grow the bench's memory
    /// without bound, and a few million events resolve any percentile the report prints.</summary>
    public const long MaxReceiptEvents = 4_000_000;

    private readonly Lock _lock = new();
    private readonly List<RequestSample> _samples = new(4096);
    private readonly List<StreamReceipt> _receipts = [];
    private long _receiptEvents;

    public double WallSeconds { get; private set; }

    public double ProxyCpuSeconds { get; private set; }

    public long ProxyContextSwitches { get; private set; }

    public long ProxyPeakRssBytes { get; private set; }

    public bool HasProxy { get; private set; }

    /// <summary>The proxy's resident memory at the end of each slice (the soak preset's growth curve).</summary>
    public List<long> RssBySlice { get; } = [];

    /// <summary>Receipts not kept because <see cref="MaxReceiptEvents"/> were already held.</summary>
    public int ReceiptsDropped { get; private set; }

    public void Add(in RequestSample sample)
    {
        lock (_lock)
        {
            if (sample.Receipt is { } receipt)
            {
                if (_receiptEvents + receipt.ReceivedAt.Length <= MaxReceiptEvents)
                {
                    _receipts.Add(receipt);
                    _receiptEvents += receipt.ReceivedAt.Length;
                }
                else
                {
                    ReceiptsDropped++;
                }

                // The sample itself keeps no reference: the receipts are held here, and only up to the bound.
                _samples.Add(sample with { Receipt = null });
                return;
            }

            _samples.Add(sample);
        }
    }

    public StreamReceipt[] Receipts()
    {
        lock (_lock)
        {
            return [.. _receipts];
        }
    }

    public void AddSlice(double wallSeconds, ProcessSnapshot? before, ProcessSnapshot? after)
    {
        WallSeconds += wallSeconds;
        if (before is { } b && after is { } a)
        {
            HasProxy = true;
            ProxyCpuSeconds += a.CpuSeconds - b.CpuSeconds;
            ProxyContextSwitches += a.ContextSwitches - b.ContextSwitches;
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
