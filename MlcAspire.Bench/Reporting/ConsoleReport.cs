using System.Globalization;

namespace MlcAspire.Bench.Reporting;

/// <summary>The report as plain-text tables.</summary>
internal static class ConsoleReport
{
    public static void Write(BenchReport report, TextWriter output)
    {
        output.WriteLine();
        output.WriteLine($"MlcAspire.Bench {report.Preset} — {report.StartedUtc:u} — {report.Machine}");
        foreach (var experiment in report.Experiments)
        {
            output.WriteLine();
            output.WriteLine($"## {experiment.Name}: {experiment.Description}");
            output.WriteLine($"   {experiment.Workload}; {experiment.Load}; {experiment.Rounds} rounds × {experiment.SliceSeconds:0.#} s per target");
            output.WriteLine(
                $"   {"target",-18}{"req",8}{"err",6}{"req/s",9}{"tok/s",9}  {"TTFT ms mean/p50/p90/p99",-30}{"TPOT ms mean/p50/p99",-24}" +
                $"{"E2E ms mean/p50/p90/p99",-30}{"proxy CPU",-11}{"CPU ms/req",-11}{"cs/req",-8}{"peak RSS"}");
            foreach (var t in experiment.Targets)
            {
                output.WriteLine(
                    $"   {t.Target,-18}{t.Requests,8}{t.Errors,6}{t.RequestsPerSecond,9:0.0}{t.OutputTokensPerSecond,9:0}  " +
                    $"{Four(t.TimeToFirstTokenMs),-30}{Three(t.TimePerOutputTokenMs),-24}{Four(t.EndToEndMs),-30}" +
                    $"{(t.ProxyCpuCores is { } cpu ? $"{cpu:0.00} cores" : "-"),-11}" +
                    $"{(t.ProxyCpuMsPerRequest is { } perRequest ? Number(perRequest) : "-"),-11}" +
                    $"{(t.ProxyContextSwitchesPerRequest is { } switches ? switches.ToString("0.0", CultureInfo.InvariantCulture) : "-"),-8}" +
                    $"{(t.ProxyPeakRssMiB is { } rss ? $"{rss:0} MiB" : "-")}");
                if (t.Errors > 0)
                {
                    output.WriteLine($"   {"",-18}errors: {string.Join(", ", t.ErrorsByOutcome.Select(e => $"{e.Key} {e.Value}"))}");
                }
            }

            if (experiment.Targets.Any(t => t.ChunkDelivery is not null))
            {
                output.WriteLine($"   {"chunk delivery",-18}{"events",8}{"unpaired",10}  {"engine send → client receipt, ms mean/p50/p90/p99"}");
                foreach (var t in experiment.Targets.Where(t => t.ChunkDelivery is not null))
                {
                    var d = t.ChunkDelivery!;
                    output.WriteLine($"   {t.Target,-18}{d.LatencyMs.Count,8}{d.Unpaired,10}  {Four(d.LatencyMs)}");
                }
            }

            if (experiment.SyscallCounting is { } counting)
            {
                output.WriteLine($"   {"syscalls",-18}{"requests",8}{"per request",13}  ({counting})");
                foreach (var t in experiment.Targets.Where(t => t.Syscalls is not null))
                {
                    output.WriteLine($"   {t.Target,-18}{t.Syscalls!.Requests,8}{t.Syscalls.PerRequest,13:0.0}");
                }
            }
        }

        if (report.Derived.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("## Differences (per percentile)");
            foreach (var d in report.Derived)
            {
                output.WriteLine($"   {d.Name,-60} p50 {Ms(d.P50)}  p90 {Ms(d.P90)}  p99 {Ms(d.P99)}");
            }
        }

        if (report.Checks.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("## Targets");
            foreach (var c in report.Checks)
            {
                output.WriteLine($"   {c.Status,-6} {c.Name,-70} measured {Number(c.Measured)} {c.Unit}, target {c.Comparison} {Number(c.Limit)} {c.Unit}" +
                                 (c.Detail is null ? "" : $" ({c.Detail})"));
            }
        }

        foreach (var note in report.Notes)
        {
            output.WriteLine($"Note: {note}");
        }
    }

    private static string Four(Distribution d) => $"{Number(d.Mean)}/{Number(d.P50)}/{Number(d.P90)}/{Number(d.P99)}";

    private static string Three(Distribution d) => $"{Number(d.Mean)}/{Number(d.P50)}/{Number(d.P99)}";

    private static string Ms(double value) => $"{Number(value),9} ms";

    private static string Number(double value) =>
        double.IsNaN(value) ? "-" : Math.Abs(value) >= 100 ? value.ToString("0", CultureInfo.InvariantCulture)
            : Math.Abs(value) >= 1 ? value.ToString("0.00", CultureInfo.InvariantCulture)
            : value.ToString("0.000", CultureInfo.InvariantCulture);
}
