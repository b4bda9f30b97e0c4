using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;

namespace MlcAspire.Bench.Presets;

/// <summary>
/// Issue 17's measure: the reliability suite's hostile mix (<see cref="HostileRequests"/>: broken JSON, wrong types,
/// forged fields, oversized bodies, random bytes, and long-run prompts up to 4 MB) sent to the disagg router by three
/// workers, beside a closed loop of well-formed completions. Reports the time to answer each class (p50/p99) and its
/// statuses, the router's CPU time and peak RSS over the mix, and the well-formed latency beside it against a quiet run.
/// 2,000 hostile requests at <c>--scale 1</c>, fewer at a smaller scale.
/// </summary>
internal sealed class HostilePreset : IPreset
{
    private const int HostileWorkers = 3;
    private const int FullMix = 2000;
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public string Name => "hostile";

    public int MaxConcurrency(BenchOptions options) => 16;

    public async Task RunAsync(PresetContext context, CancellationToken cancellationToken)
    {
        await using var topology = await context.StartTopologyAsync("hostile",
            [new(TargetNames.RouterDisagg, RouterSpec.Disagg)], TimingProfiles.Fast, withNginx: false, cancellationToken);
        var wellFormed = new Workload(new LengthDistribution(16, 64), LengthDistribution.Fixed(8), Stream: false);
        Experiment Loop(string name, string description) => new(
            name, description, wellFormed, new LoadShape.Closed(2), [TargetNames.RouterDisagg], Rounds: 1, context.Seconds(10), context.Seconds(2));

        var quiet = await context.RunAsync(topology, Loop("quiet", "well-formed completions alone (closed loop, concurrency 2)"), cancellationToken);

        var count = Math.Max(50, (int)(FullMix * context.Options.Scale));
        var url = new Uri(topology.RouterUrl(TargetNames.RouterDisagg)!, "v1/completions");
        var pid = topology.RouterPid(TargetNames.RouterDisagg);
        var before = pid is { } p ? ProcessSnapshot.TryRead(p) : null;
        var started = Stopwatch.GetTimestamp();
        var answers = new ConcurrentBag<(string Kind, string Status, double Ms)>();
        var beside = context.RunAsync(topology, Loop("beside-hostile", "well-formed completions while the hostile mix runs"), cancellationToken);
        var hostile = new HostileRequests(seed: 17, bodyLimit: 4 * 1024 * 1024);
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        await Task.WhenAll(Enumerable.Range(0, HostileWorkers).Select(async _ =>
        {
            while (hostile.TryTake(count, out var request))
            {
                var sent = Stopwatch.GetTimestamp();
                var status = await PostAsync(http, url, request.Body, request.Chunked, cancellationToken);
                answers.Add((request.Kind, status, Stopwatch.GetElapsedTime(sent).TotalMilliseconds));
            }
        }));
        var mixSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var after = pid is { } q ? ProcessSnapshot.TryRead(q) : null;
        var besideResult = await beside;

        foreach (var kind in answers.GroupBy(a => a.Kind).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var times = Distribution.Of([.. kind.Select(a => a.Ms)]);
            var statuses = string.Join(", ", kind.GroupBy(a => a.Status).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} x{g.Count()}"));
            context.Report.Notes.Add(FormattableString.Invariant($"hostile {kind.Key}: {kind.Count()} requests, time to answer p50 {times.P50:F1} ms, p99 {times.P99:F1} ms; {statuses}"));
        }

        context.Report.Notes.Add(FormattableString.Invariant(
            $"hostile mix: {answers.Count} requests in {mixSeconds:F1} s; router CPU {(after?.CpuSeconds - before?.CpuSeconds) ?? double.NaN:F1} s, peak RSS {(after?.PeakRssBytes ?? 0) / (1024.0 * 1024):F0} MiB"));
        context.Report.AddCheck("hostile mix finishes", "<", 120, mixSeconds, "s");
        context.Report.AddCheck("hostile requests answered 5xx or not at all", "<=", 0, answers.Count(a => !a.Status.StartsWith('2') && !a.Status.StartsWith('4')), "requests");
        context.Report.AddCheck("well-formed p99 beside the mix / quiet p99", "<=", 2,
            besideResult[TargetNames.RouterDisagg]?.EndToEndMs.P99 / quiet[TargetNames.RouterDisagg]?.EndToEndMs.P99, "x");
    }

    /// <summary>The status code, or what became of a request that got none.</summary>
    private static async Task<string> PostAsync(HttpClient http, Uri url, byte[] body, bool chunked, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = Json;
        request.Headers.TransferEncodingChunked = chunked;
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            return ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
        }
        catch (HttpRequestException ex)
        {
            return $"no answer ({ex.HttpRequestError})";
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return "no answer (timeout)";
        }
    }
}
