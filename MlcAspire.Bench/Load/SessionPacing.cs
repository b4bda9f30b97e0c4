namespace MlcAspire.Bench.Load;

/// <summary>
/// When a job's sessions and turns are due, the same for every target that runs the job (one seed): sessions arrive
/// open loop (Poisson, <see cref="SessionsPerSecond"/>), and each turn is due a think time after the turn before it
/// was sent, uniform between half and one and a half <see cref="TurnIntervalSeconds"/>. So the offered request rate
/// does not depend on how fast a target answers; it is <see cref="SessionsPerSecond"/> × turns once the first
/// sessions have reached their last turn.
/// </summary>
internal sealed record SessionPacing(double SessionsPerSecond, double TurnIntervalSeconds)
{
    /// <summary>Each session's start and its turns' due times, in seconds from the job's start.</summary>
    public double[][] Draw(int sessions, int turns, int seed)
    {
        var random = new Random(seed);
        var due = new double[sessions][];
        var start = 0.0;
        for (var s = 0; s < sessions; s++)
        {
            due[s] = new double[turns];
            due[s][0] = start;
            for (var t = 1; t < turns; t++)
            {
                due[s][t] = due[s][t - 1] + TurnIntervalSeconds * (0.5 + random.NextDouble());
            }

            start += -Math.Log(1 - random.NextDouble()) / SessionsPerSecond;
        }

        return due;
    }
}
