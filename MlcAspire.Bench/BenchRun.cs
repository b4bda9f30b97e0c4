using System.Text.Json;
using MlcAspire.Bench.Presets;
using MlcAspire.Bench.Reporting;

namespace MlcAspire.Bench;

/// <summary>One bench run: start (or attach to) the topology, run the preset, report.</summary>
internal static class BenchRun
{
    public static async Task<int> MainAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        if (BenchOptions.Parse(args, output) is not { } options)
        {
            return 2;
        }

        if (PresetCatalog.Find(options.Preset) is null)
        {
            output.WriteLine($"Unknown preset '{options.Preset}'.");
            output.WriteLine(BenchOptions.Usage);
            return 2;
        }

        var started = DateTimeOffset.UtcNow;
        var workDirectory = Path.Combine(BenchPaths.RepositoryRoot, "artifacts", "bench", $"{options.Preset}-{started:yyyyMMdd-HHmmss}");
        var report = await RunAsync(options, workDirectory, output, cancellationToken);
        ConsoleReport.Write(report, output);

        var jsonPath = options.JsonPath ?? workDirectory + ".json";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(jsonPath))!);
        await using (var file = File.Create(jsonPath))
        {
            await JsonSerializer.SerializeAsync(file, report, BenchJsonContext.Default.BenchReport, cancellationToken);
        }

        output.WriteLine($"JSON report: {jsonPath}");
        output.WriteLine($"Process logs: {workDirectory}");
        return 0;
    }

    /// <summary>Runs a preset and returns its report; <paramref name="workDirectory"/> receives the process logs.</summary>
    public static async Task<BenchReport> RunAsync(BenchOptions options, string workDirectory, TextWriter progress, CancellationToken cancellationToken)
    {
        var preset = PresetCatalog.Find(options.Preset) ?? throw new ArgumentException($"Unknown preset '{options.Preset}'.", nameof(options));
        var started = DateTimeOffset.UtcNow;
        using var http = BenchHttp.Create(preset.MaxConcurrency(options) + 16);
        var report = new ReportBuilder();
        await preset.RunAsync(new PresetContext(options, workDirectory, http, progress, report), cancellationToken);
        return report.Build(preset.Name, started, string.Join(' ', Environment.GetCommandLineArgs().Skip(1)));
    }
}
