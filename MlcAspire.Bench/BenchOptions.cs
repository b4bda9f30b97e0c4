using System.Globalization;

namespace MlcAspire.Bench;

/// <summary>The bench's command line.</summary>
internal sealed class BenchOptions
{
    public const string Usage = """
        Usage: dotnet run -c Release --project MlcAspire.Bench -- <preset> [options]

        Presets:
          overhead   the round-robin router against nginx (least_conn) on the same engines: throughput, added latency
                     and CPU per request at half the router's saturation, added latency one request at a time (with
                     syscalls per request, when perf is installed); the disagg router's added latency
          streaming  added time per relayed SSE chunk, router vs nginx; then many concurrent slow streams (zero errors,
                     router peak memory)
          pd         prefill/decode: round-robin vs 1P1D vs 1P1D balance 0.1, 3,000-token prompts, 100-token outputs,
                     rising request rate; disagg TTFT vs the engines' own prefill + KV transfer
          prefix     cache-aware routing: 64 sessions x 8 turns with shared 2,000-token prefixes on four engines with the
                     prefix cache, least-loaded vs cache-aware and static vs adaptive disagg split; no shared prefix;
                     the pd workload through static balance 0 / 0.1 vs adaptive
          soak       10 minutes at half saturation through the round-robin router; router memory growth after warm-up
          smoke      a few seconds of everything (what the test runs)

        Options:
          --json PATH          where to write the JSON report (default: artifacts/bench/<preset>-<time>.json)
          --scale X            multiply every duration by X (e.g. 0.2 for a quick look; default 1)
          --streams N          concurrent streams of the streaming preset (default 5000)
          --model PATH         base model directory of the timing-mode engines (default: models/reference-timing,
                               else models/reference-tiny; each preset writes its own timing schedule into a copy)
          --engine URL         attach to a running engine instead of starting engines (repeat; order = PE index)
          --router NAME=URL[,PID]
                               attach to a running router (NAME: router-rr, router-disagg, router-disagg-0.1);
                               with PID its CPU and memory are read from /proc
        Without --engine the bench plans and runs the engines and routers with the AppHost's own code, on free ports.
        nginx is started when installed (apt-get install -y nginx), otherwise its target is skipped; perf
        (apt-get install -y linux-perf) counts syscalls where it is installed and permitted.
        """;

    public required string Preset { get; init; }

    public string? JsonPath { get; init; }

    public double Scale { get; init; } = 1;

    public int Streams { get; init; } = 5000;

    public string? Model { get; init; }

    public List<Uri> Engines { get; } = [];

    public Dictionary<string, (Uri Url, int? Pid)> Routers { get; } = [];

    public TimeSpan Seconds(double seconds) => TimeSpan.FromSeconds(seconds * Scale);

    /// <summary>Parses the command line; returns null and writes why when it is not valid.</summary>
    public static BenchOptions? Parse(IReadOnlyList<string> args, TextWriter error)
    {
        if (args.Count == 0 || args[0].StartsWith('-'))
        {
            error.WriteLine(Usage);
            return null;
        }

        string? json = null, model = null;
        double scale = 1;
        var streams = 5000;
        var engines = new List<Uri>();
        var routers = new Dictionary<string, (Uri, int?)>();
        for (var i = 1; i < args.Count; i++)
        {
            var value = i + 1 < args.Count ? args[i + 1] : null;
            if (value is null)
            {
                error.WriteLine($"{args[i]} needs a value.");
                return null;
            }

            switch (args[i])
            {
                case "--json":
                    json = value;
                    break;
                case "--model":
                    model = value;
                    break;
                case "--scale" when double.TryParse(value, CultureInfo.InvariantCulture, out scale) && scale > 0:
                    break;
                case "--streams" when int.TryParse(value, CultureInfo.InvariantCulture, out streams) && streams > 0:
                    break;
                case "--engine" when Uri.TryCreate(value, UriKind.Absolute, out var engine):
                    engines.Add(engine);
                    break;
                case "--router" when ParseRouter(value) is { } router:
                    routers[router.Name] = (router.Url, router.Pid);
                    break;
                default:
                    error.WriteLine($"Invalid option or value: {args[i]} {value}");
                    return null;
            }

            i++;
        }

        var options = new BenchOptions { Preset = args[0], JsonPath = json, Scale = scale, Streams = streams, Model = model };
        options.Engines.AddRange(engines);
        foreach (var (name, router) in routers)
        {
            options.Routers[name] = router;
        }

        return options;
    }

    private static (string Name, Uri Url, int? Pid)? ParseRouter(string value)
    {
        var (name, rest) = value.Split('=', 2) is [var n, var r] ? (n, r) : ("", "");
        var parts = rest.Split(',');
        if (name.Length == 0 || !Uri.TryCreate(parts[0], UriKind.Absolute, out var url))
        {
            return null;
        }

        return parts is [_, var pid] && int.TryParse(pid, CultureInfo.InvariantCulture, out var id) ? (name, url, id) : (name, url, null);
    }
}
