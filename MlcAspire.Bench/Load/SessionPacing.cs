namespace MlcAspire.Bench.Load;

/// <summary>
/// When a job's turns are due, the same for every target that runs the job (one seed): a population of sessions, each
/// starting at a random moment of the first <see cref="TurnIntervalSeconds"/> and sending each turn a think time after
/// the turn before it was sent, uniform between half and one and a half <see cref="TurnIntervalSeconds"/>. So the
/// sessions' requests arrive at a steady rate, sessions / <see cref="TurnIntervalSeconds"/>, from the first interval to
/// the last, whatever the target's answer times.
/// </summary>
internal sealed record SessionPacing(double TurnIntervalSeconds)
{
    /// <summary>The offered request rate of <paramref name="sessions"/> sessions.</summary>
    public double RequestsPerSecond(int sessions) => sessions / TurnIntervalSeconds;

    /// <summary>The sessions needed for <paramref name="requestsPerSecond"/>.</summary>
    public int SessionsFor(double requestsPerSecond) => Math.Max(1, (int)Math.Round(requestsPerSecond * TurnIntervalSeconds));

    /// <summary>Each session's turns' due times, in seconds from the job's start.</summary>
    public double[][] Draw(int sessions, int turns, int seed)
    {
        var random = new Random(seed);
        var due = new double[sessions][];
        for (var s = 0; s < sessions; s++)
        {
            due[s] = new double[turns];
            due[s][0] = TurnIntervalSeconds * random.NextDouble();
            for (var t = 1; t < turns; t++)
            {
                due[s][t] = due[s][t - 1] + TurnIntervalSeconds * (0.5 + random.NextDouble());
            }
        }

        return due;
    }
}
