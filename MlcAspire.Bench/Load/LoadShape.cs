namespace MlcAspire.Bench.Load;

/// <summary>How requests are offered: closed loop (a fixed number of clients, each sends when its last answer is
/// in) or open loop (Poisson arrivals at a rate, whatever the answers).</summary>
internal abstract record LoadShape
{
    private LoadShape()
    {
    }

    public sealed record Closed(int Concurrency) : LoadShape
    {
        public override string ToString() => $"closed loop, concurrency {Concurrency}";
    }

    public sealed record Open(double RequestsPerSecond) : LoadShape
    {
        public override string ToString() => $"open loop, Poisson {RequestsPerSecond:0.##} req/s";
    }
}
