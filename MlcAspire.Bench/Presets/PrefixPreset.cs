using System.Globalization;
using MlcAspire.Bench.Reporting;

namespace MlcAspire.Bench.Presets;

/// <summary>
/// Cache-aware routing and adaptive disaggregation (docs/router.md) on timing-mode engines with the prefix cache, where
/// cached prompt tokens cost no prefill time: multi-turn sessions with shared system prompts, arriving open loop at one
/// request rate for every target, through least-loaded and cache-aware round-robin routers and through 2P2D disagg
/// routers with a static and an adaptive split; the same token counts with no shared prefix (at its own rate); then the pd preset's workload mix through 1P1D with
/// static balance factors 0 and 0.1 and the adaptive split.
/// </summary>
internal sealed class PrefixPreset : IPreset
{
    private const string LeastLoaded = "prefix-least-loaded";
    private const string CacheAware = "prefix-cache-aware";
    private const string DisaggStatic = "prefix-disagg-static";
    private const string DisaggAdaptive = "prefix-disagg-adaptive";
    private const string PdStatic = "pd-static-0";
    private const string PdStaticBalanced = "pd-static-0.1";
    private const string PdAdaptive = "pd-adaptive";
    private const string PrefillCounter = "mlc_reference_prefill_tokens_total";
    private const int EngineCount = 4;

    /// <summary>The session jobs' offered load: this share of least-loaded routing's prefill capacity (see <see cref="Pacing"/>).</summary>
    private const double LeastLoadedPrefillLoad = 0.6;

    /// <summary>
    /// A session's turns are 2–6 s apart: longer than least-loaded's answers at that load (about 2 s: 32 decode steps of
    /// some 60 ms), so that few turns wait for their answer and the offered rate holds.
    /// </summary>
    private static readonly SessionPacing Pacing = new(TurnIntervalSeconds: 4);

    /// <summary>
    /// The session jobs' engines: <see cref="TimingProfiles.PrefillInterference"/> with prompt tokens twice as slow (a
    /// larger model), so that least-loaded is loaded at a request rate that this machine's routers, client and engine
    /// processes sustain (16 req/s; at 0.1 ms a token it would take 31 req/s, and the client and the routers become the bottleneck).
    /// </summary>
    private const double SessionPrefillSecondsPerToken = 0.0002;

    private static readonly EngineSettings SessionEngines = TimingProfiles.PrefillInterference with
    {
        Timing = new Dictionary<string, double>(TimingProfiles.PrefillInterference.Timing) { ["prefill_seconds_per_token"] = SessionPrefillSecondsPerToken },
    };

    /// <summary>The pd preset's LLMPerf workload (3,000-token prompts, 100-token outputs) at two loads of the prefill engine.</summary>
    private static readonly Workload PdMix = new(LengthDistribution.Fixed(3000), LengthDistribution.Fixed(100), Stream: true);
    private static readonly double[] PdLoadFactors = [0.6, 1.2];

    public string Name => "prefix";

    public int MaxConcurrency(BenchOptions options) => 512;

    public async Task RunAsync(PresetContext context, CancellationToken cancellationToken)
    {
        // --scale shrinks the job (fewer turns), never the request rate: the load stays the same.
        var turns = Math.Clamp((int)(8 * context.Options.Scale), 3, 8);
        var shared = AtLoad(new SessionWorkload(0, turns, SharedPrefixes: 8, SystemTokens: 1500, FirstUserTokens: 500,
            ReplyTokens: 32, UserTokens: 100, OutputTokens: 32, SharePrefixes: true));
        await using (var topology = await context.StartTopologyAsync("prefix",
        [
            new(LeastLoaded, RouterSpec.RoundRobin, Settings: Routing("least-loaded")),
            new(CacheAware, RouterSpec.RoundRobin, Settings: Routing("cache-aware")),
            new(DisaggStatic, RouterSpec.Disagg, Settings: TwoPrefillTwoDecode(Routing("cache-aware"))),
            new(DisaggAdaptive, RouterSpec.Disagg, Settings: TwoPrefillTwoDecode(Routing("cache-aware", adaptive: true))),
        ], SessionEngines, withNginx: false, cancellationToken, engineCount: EngineCount, prefixCache: true))
        {
            var sharedRun = await RunSessionsAsync(context, topology, "prefix-shared",
                "least-loaded vs cache-aware (round-robin, 4 engines) and static vs adaptive split (disagg 2P2D, cache-aware)",
                shared, [LeastLoaded, CacheAware, DisaggStatic, DisaggAdaptive], passes: 1, cancellationToken);
            var least = sharedRun.Result[LeastLoaded];
            var cache = sharedRun.Result[CacheAware];
            context.Report.AddCheck("shared prefixes: share of prompt tokens the engines computed, cache-aware", "<=", 0.30,
                sharedRun.Totals[CacheAware].ComputedShare, "ratio");
            context.Report.AddCheck("shared prefixes: mean TTFT, cache-aware / least-loaded (same request rate)", "<=", 0.5,
                Ratio(cache?.TimeToFirstTokenMs.Mean, least?.TimeToFirstTokenMs.Mean), "ratio");
            context.Report.AddCheck("shared prefixes: mean request completion time, adaptive / static split", "<=", 1.0,
                Ratio(sharedRun.Result[DisaggAdaptive]?.EndToEndMs.Mean, sharedRun.Result[DisaggStatic]?.EndToEndMs.Mean), "ratio");

            var distinct = AtLoad(shared with { SharePrefixes = false });
            var distinctRun = await RunSessionsAsync(context, topology, "prefix-none",
                "no shared prefix: least-loaded vs cache-aware (round-robin, 4 engines)", distinct, [LeastLoaded, CacheAware],
                passes: 2, cancellationToken);
            least = distinctRun.Result[LeastLoaded];
            cache = distinctRun.Result[CacheAware];
            context.Report.AddCheck("no shared prefix: throughput, cache-aware / least-loaded", ">=", 0.95,
                Ratio(cache?.RequestsPerSecond, least?.RequestsPerSecond), "ratio");
            context.Report.AddCheck("no shared prefix: p99 TTFT, cache-aware / least-loaded", "<=", 1.05,
                Ratio(cache?.TimeToFirstTokenMs.P99, least?.TimeToFirstTokenMs.P99), "ratio");
        }

        await RunPdMixAsync(context, cancellationToken);
    }

    /// <summary>The pd workload through 1P1D: MLC's static factors 0 and 0.1 against the per-request split (JCT = E2E).</summary>
    private static async Task RunPdMixAsync(PresetContext context, CancellationToken cancellationToken)
    {
        await using var topology = await context.StartTopologyAsync("prefix-pd",
        [
            new(PdStatic, RouterSpec.Disagg),
            new(PdStaticBalanced, RouterSpec.Disagg, PdBalanceFactor: 0.1),
            new(PdAdaptive, RouterSpec.Disagg, Settings: new Dictionary<string, string> { ["Router:PdBalanceAdaptive"] = "true" }),
        ], TimingProfiles.PrefillInterference, withNginx: false, cancellationToken);

        var prefillCapacity = 1 / (PdMix.PromptTokens.Max * TimingProfiles.PdPrefillSecondsPerToken);
        foreach (var factor in PdLoadFactors)
        {
            var rate = prefillCapacity * factor;
            var result = await context.RunAsync(topology, new Experiment(
                $"prefix-pd@{rate:0.0#}rps", "pd workload mix: static balance 0 and 0.1 vs adaptive split (1P1D; JCT = E2E)", PdMix,
                new LoadShape.Open(rate), [PdStatic, PdStaticBalanced, PdAdaptive], Rounds: 2, context.Seconds(20), context.Seconds(3)), cancellationToken);
            var bestStatic = new[] { result[PdStatic], result[PdStaticBalanced] }.Where(r => r is not null).Select(r => r!.EndToEndMs.Mean).DefaultIfEmpty(double.NaN).Min();
            context.Report.AddCheck($"pd mix at {factor:0.#}× prefill capacity: mean JCT, adaptive / best static", "<=", 1.0,
                Ratio(result[PdAdaptive]?.EndToEndMs.Mean, bestStatic), "ratio");
        }
    }

    /// <summary>
    /// The workload with as many sessions as offer the request rate at which least-loaded routing keeps its engines'
    /// prefill <see cref="LeastLoadedPrefillLoad"/> busy (loaded, not saturated), from the prefill cost of the timing
    /// profile and the tokens least-loaded computes per request (<see cref="SessionWorkload.RandomPlacementComputedTokens"/>).
    /// </summary>
    private static SessionWorkload AtLoad(SessionWorkload workload)
    {
        var leastLoadedCapacity = EngineCount / (workload.RandomPlacementComputedTokens(EngineCount) * SessionPrefillSecondsPerToken);
        return workload with { Sessions = Pacing.SessionsFor(LeastLoadedPrefillLoad * leastLoadedCapacity) };
    }

    /// <summary>
    /// Runs <paramref name="passes"/> jobs per target, the targets one after the other (each pass starts one target
    /// later), all on the same schedule (<see cref="SessionPacing"/>, one seed) and with sessions of the same shape, whose
    /// tokens are new to the engines (the targets share them, so each job and warm-up has its own seed). Counts what the
    /// engines computed.
    /// </summary>
    private static async Task<(ExperimentResult Result, Dictionary<string, SessionTotals> Totals)> RunSessionsAsync(
        PresetContext context, BenchTopology topology, string name, string description, SessionWorkload workload,
        IReadOnlyList<string> targetNames, int passes, CancellationToken cancellationToken)
    {
        var targets = targetNames.Select(topology.Target).OfType<ILoadTarget>().ToArray();
        var warmup = workload with { Sessions = Math.Min(workload.Sessions, 8), Turns = 2 };
        var warmupDue = Enumerable.Range(0, warmup.Sessions).Select(_ => new double[warmup.Turns]).ToArray();
        for (var k = 0; k < targets.Length; k++)
        {
            await SessionDriver.RunAsync(targets[k], warmup.Prepare(topology.Model, seed: 1 + k), warmupDue, new SampleSink(), cancellationToken);
        }

        var due = Pacing.Draw(workload.Sessions, workload.Turns, seed: 4242);
        var rate = Pacing.RequestsPerSecond(workload.Sessions);
        var sinks = targets.ToDictionary(t => t.Name, _ => new SampleSink());
        var totals = targets.ToDictionary(t => t.Name, _ => new SessionTotals());
        context.Progress.Write($"  {name} at {rate:0.#} req/s:");
        for (var job = 0; job < passes * targets.Length; job++)
        {
            // The same sessions for every target, but the engines are shared: a job's tokens must be new to them.
            var target = targets[(job + job / targets.Length) % targets.Length];
            var jobSessions = workload.Prepare(topology.Model, seed: 1000 + job * 31);
            if (workload.SharePrefixes)
            {
                await PrimeAsync(context.Http, topology, workload.SystemPrompts(seed: 1000 + job * 31), cancellationToken);
            }

            var computedBefore = await ComputedAsync(context.Http, topology, cancellationToken);
            var before = target.ProxyPid is { } pid ? ProcessSnapshot.TryRead(pid) : null;
            var (seconds, session, late) = await SessionDriver.RunAsync(target, jobSessions, due, sinks[target.Name], cancellationToken);
            var after = target.ProxyPid is { } p ? ProcessSnapshot.TryRead(p) : null;
            sinks[target.Name].AddSlice(seconds, before, after);
            var computed = await ComputedAsync(context.Http, topology, cancellationToken) - computedBefore;
            totals[target.Name].Add(workload.PromptTokens, computed, seconds, session, late);
            context.Progress.Write($" {target.Name} {seconds:0.0} s ({computed / workload.PromptTokens:P0} computed, {late} late turns);");
        }

        context.Progress.WriteLine();
        var result = new ExperimentResult(name, description, workload.ToString(),
            string.Create(CultureInfo.InvariantCulture,
                $"open loop: each session starts in the first {Pacing.TurnIntervalSeconds:0.#} s and sends each turn {Pacing.TurnIntervalSeconds / 2:0.#}–{Pacing.TurnIntervalSeconds * 1.5:0.#} s after the last was sent " +
                $"(offered {rate:0.#} req/s: {LeastLoadedPrefillLoad:0.#}× least-loaded's prefill capacity); the same schedule for every target"),
            passes, 0, [.. targets.Select(t => TargetResult.From(t.Name, sinks[t.Name]))]);
        context.Report.Experiments.Add(result);
        foreach (var (target, total) in totals)
        {
            context.Report.Notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"{name} {target}: engines computed {total.Computed:0} of {total.Sent} prompt tokens ({total.ComputedShare:P1}; prefix hit rate {1 - total.ComputedShare:P1}); " +
                $"job completion time {total.MeanJob:0.00} s, session completion time mean {total.MeanSession:0.00} s; {total.LateTurns} turns late (sent when the answer before them came, after they were due)."));
        }

        return (result, totals);
    }

    /// <summary>
    /// Puts the job's system prompts into every engine's cache, straight to the engines: system prompts are long-lived,
    /// and the rate (<see cref="AtLoad"/>) assumes every engine holds them, not a first interval in which every engine
    /// computes all eight at once. The routers learn nothing from it: cache-aware routing finds its first turns' engine
    /// by load, as least-loaded does.
    /// </summary>
    private static async Task PrimeAsync(HttpClient http, BenchTopology topology, int[][] systemPrompts, CancellationToken cancellationToken)
    {
        foreach (var engine in topology.Engines)
        {
            foreach (var prompt in systemPrompts)
            {
                using var content = new ByteArrayContent(CompletionBody.Write(topology.Model, [.. prompt, 1], 1, stream: false, extra: null));
                content.Headers.ContentType = new("application/json");
                using var response = await http.PostAsync(new Uri(engine, "v1/completions"), content, cancellationToken);
                response.EnsureSuccessStatusCode();
            }
        }
    }

    /// <summary>Prompt tokens the engines computed so far (their prefill counters), NaN when an engine does not count them.</summary>
    private static async Task<double> ComputedAsync(HttpClient http, BenchTopology topology, CancellationToken cancellationToken)
    {
        var sum = 0.0;
        foreach (var engine in topology.Engines)
        {
            var metrics = await http.GetStringAsync(new Uri(engine, "metrics"), cancellationToken);
            var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(PrefillCounter + " ", StringComparison.Ordinal));
            sum += line is null ? double.NaN : double.Parse(line[(PrefillCounter.Length + 1)..], CultureInfo.InvariantCulture);
        }

        return sum;
    }

    private static Dictionary<string, string> Routing(string policy, bool adaptive = false) => new()
    {
        ["Router:RoutingPolicy"] = policy,
        ["Router:PdBalanceAdaptive"] = adaptive ? "true" : "false",
    };

    /// <summary>Engines 0 and 2 prefill, 1 and 3 decode (the AppHost's default is one prefill engine).</summary>
    private static Dictionary<string, string> TwoPrefillTwoDecode(Dictionary<string, string> settings)
    {
        for (var i = 0; i < 4; i++)
        {
            settings[$"Router:Engines:{i}:Role"] = i % 2 == 0 ? "Prefill" : "Decode";
        }

        return settings;
    }

    private static double? Ratio(double? measured, double? baseline) =>
        measured is { } m && baseline is { } b && b > 0 && !double.IsNaN(m) ? m / b : null;

    /// <summary>What one target's jobs added up to.</summary>
    private sealed class SessionTotals
    {
        private readonly List<double> _jobs = [];
        private readonly List<double> _sessions = [];

        public long Sent { get; private set; }

        public double Computed { get; private set; }

        public int Jobs => _jobs.Count;

        public double ComputedShare => Sent > 0 ? Computed / Sent : double.NaN;

        public double MeanJob => _jobs.Count > 0 ? _jobs.Average() : double.NaN;

        public double MeanSession => _sessions.Count > 0 ? _sessions.Average() : double.NaN;

        public int LateTurns { get; private set; }

        public void Add(long sent, double computed, double job, double session, int late)
        {
            (Sent, Computed, LateTurns) = (Sent + sent, Computed + computed, LateTurns + late);
            _jobs.Add(job);
            _sessions.Add(session);
        }
    }
}
