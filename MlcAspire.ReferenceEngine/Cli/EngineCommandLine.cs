using System.Globalization;
using System.Text.Json;

namespace MlcAspire.ReferenceEngine.Cli;

/// <summary>
/// Parses <c>mlc_llm serve</c>'s command line the way its argparse does: the same flags and defaults, and on a
/// bad flag, value or <c>--overrides</c> key a usage message naming it and exit code 2.
/// </summary>
internal static class EngineCommandLine
{
    public const int UsageExitCode = 2;

    private const string Usage =
        "usage: MlcAspire.ReferenceEngine [-h] [--device DEVICE] [--model-lib MODEL_LIB] [--mode {local,interactive,server}] " +
        "[--enable-debug] [--speculative-mode {disable,small_draft,eagle,medusa}] [--prefix-cache-mode {radix,disable}] " +
        "[--prefill-mode {hybrid,chunked}] [--overrides OVERRIDES] [--enable-tracing] [--host HOST] [--port PORT] " +
        "[--allow-credentials] [--allow-origins ALLOW_ORIGINS] [--allow-methods ALLOW_METHODS] [--allow-headers ALLOW_HEADERS] " +
        "[--api-key API_KEY] model\n       MlcAspire.ReferenceEngine --nvshmem-uid";

    private static readonly string[] Modes = ["local", "interactive", "server"];
    private static readonly string[] SpeculativeModes = ["disable", "small_draft", "eagle", "medusa"];
    private static readonly string[] PrefixCacheModes = ["radix", "disable"];
    private static readonly string[] PrefillModes = ["hybrid", "chunked"];

    /// <summary>Parses <paramref name="args"/>; a parse error is a <see cref="CommandLineException"/> naming the flag or key.</summary>
    public static EngineOptions Parse(IReadOnlyList<string> args)
    {
        string? model = null;
        var options = new EngineOptions { Model = "" };
        for (var i = 0; i < args.Count; i++)
        {
            var (flag, inlineValue) = SplitInline(args[i]);
            if (!flag.StartsWith('-') && model is null)
            {
                model = flag;
                continue;
            }

            string Value() => inlineValue ?? (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)
                ? args[++i]
                : throw new CommandLineException($"argument {flag}: expected one argument"));

            options = flag switch
            {
                "--model-lib" => options with { ModelLib = Value() },
                "--device" => options with { Device = Value() },
                "--mode" => options with { Mode = Choice(flag, Value(), Modes) },
                "--enable-debug" => options with { EnableDebug = true },
                "--speculative-mode" => options with { SpeculativeMode = Choice(flag, Value(), SpeculativeModes) },
                "--prefix-cache-mode" => options with { PrefixCacheMode = Choice(flag, Value(), PrefixCacheModes) },
                "--prefill-mode" => options with { PrefillMode = Choice(flag, Value(), PrefillModes) },
                "--overrides" => options with { Overrides = ParseOverrides(Value()) },
                "--enable-tracing" => options with { EnableTracing = true },
                "--host" => options with { Host = Value() },
                "--port" => options with { Port = Int(flag, Value()) },
                "--api-key" => options with { ApiKey = Value() },
                "--allow-credentials" => options with { AllowCredentials = true },
                "--allow-origins" => options with { AllowOrigins = JsonList(flag, Value()) },
                "--allow-methods" => options with { AllowMethods = JsonList(flag, Value()) },
                "--allow-headers" => options with { AllowHeaders = JsonList(flag, Value()) },
                _ => throw new CommandLineException($"unrecognized arguments: {args[i]}"),
            };
        }

        return options with { Model = model ?? throw new CommandLineException("the following arguments are required: model") };
    }

    /// <summary>True when the arguments ask for help (<c>-h</c>/<c>--help</c>), which argparse answers before any other check.</summary>
    public static bool IsHelp(IReadOnlyList<string> args) => args.Any(arg => arg is "-h" or "--help");

    /// <summary>Writes the usage and the engine's environment variables: what the reference engine adds to MLC's
    /// command line is configured there, so that the command line stays MLC's.</summary>
    public static void WriteHelp(TextWriter output) => output.WriteLine($$"""
        {{Usage}}

        A CPU drop-in for mlc_llm serve; the flags are mlc_llm serve's (see MlcAspire.ReferenceEngine/README.md).

        environment variables:
          MLC_NVSHMEM_INIT_CONFIG_JSON_STR  {"uid":[...],"npes":N,"pe_start":I}: join the NVSHMEM-like world for KV transfer
          MLC_REFERENCE_FAULTS              test-only faults, e.g. "stall_between_chunks_ms=200;abort_stream_after_chunks=3"
          MLC_REFERENCE_CHUNK_TIMES         a file path: record every SSE event's send time as "id seq timestamp" lines
                                            (Stopwatch ticks, CLOCK_MONOTONIC on Linux) for benchmarks; off by default
        """);

    /// <summary>Writes the argparse-style usage error for <paramref name="error"/> to standard error.</summary>
    public static void WriteError(CommandLineException error) =>
        Console.Error.WriteLine($"{Usage}\nMlcAspire.ReferenceEngine: error: {error.Message}");

    /// <summary>
    /// MLC splits the value on ';' and parses each <c>key=value</c> as <c>--key=value</c> with its own argparse, so
    /// an unknown key or a value of the wrong type is a usage error.
    /// </summary>
    public static EngineOverrides ParseOverrides(string text)
    {
        var overrides = new EngineOverrides();
        foreach (var item in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var separator = item.IndexOf('=');
            if (separator < 0)
            {
                throw new CommandLineException($"argument --overrides: expected key=value, got '{item}'");
            }

            var (key, value) = (item[..separator].Trim(), item[(separator + 1)..].Trim());
            var flag = "--overrides " + key;
            overrides = key switch
            {
                "max_num_sequence" => overrides with { MaxNumSequence = Positive(flag, value) },
                "max_total_seq_length" => overrides with { MaxTotalSeqLength = Positive(flag, value) },
                "prefill_chunk_size" => overrides with { PrefillChunkSize = Positive(flag, value) },
                "max_history_size" => overrides with { MaxHistorySize = Int(flag, value) },
                "gpu_memory_utilization" => overrides with { GpuMemoryUtilization = Float(flag, value) },
                "spec_draft_length" => overrides with { SpecDraftLength = Int(flag, value) },
                "spec_tree_width" => overrides with { SpecTreeWidth = Int(flag, value) },
                "prefix_cache_max_num_recycling_seqs" => overrides with { PrefixCacheMaxNumRecyclingSeqs = Int(flag, value) },
                "context_window_size" => overrides with { ContextWindowSize = Positive(flag, value) },
                "sliding_window_size" => overrides with { SlidingWindowSize = Int(flag, value) },
                "attention_sink_size" => overrides with { AttentionSinkSize = Int(flag, value) },
                "tensor_parallel_shards" => overrides with { TensorParallelShards = Positive(flag, value) },
                "pipeline_parallel_stages" => overrides with { PipelineParallelStages = Positive(flag, value) },
                "opt" => overrides with { Opt = value },
                // MLC accepts these two inside --overrides but ignores them: the top-level flags win.
                "prefix_cache_mode" => IgnoredChoice(overrides, flag, value, PrefixCacheModes),
                "prefill_mode" => IgnoredChoice(overrides, flag, value, PrefillModes),
                _ => throw new CommandLineException($"argument --overrides: unrecognized key '{key}'"),
            };
        }

        return overrides;
    }

    private static EngineOverrides IgnoredChoice(EngineOverrides overrides, string flag, string value, string[] choices)
    {
        Choice(flag, value, choices);
        return overrides;
    }

    private static (string Flag, string? Value) SplitInline(string arg)
    {
        var equals = arg.IndexOf('=');
        return arg.StartsWith("--", StringComparison.Ordinal) && equals > 0 ? (arg[..equals], arg[(equals + 1)..]) : (arg, null);
    }

    private static string Choice(string flag, string value, string[] choices) =>
        choices.Contains(value)
            ? value
            : throw new CommandLineException($"argument {flag}: invalid choice: '{value}' (choose from {string.Join(", ", choices.Select(c => $"'{c}'"))})");

    private static int Int(string flag, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw new CommandLineException($"argument {flag}: invalid int value: '{value}'");

    private static int Positive(string flag, string value) =>
        Int(flag, value) is var result and > 0 ? result : throw new CommandLineException($"argument {flag}: must be positive, got '{value}'");

    private static double Float(string flag, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw new CommandLineException($"argument {flag}: invalid float value: '{value}'");

    private static string[] JsonList(string flag, string value)
    {
        try
        {
            return JsonSerializer.Deserialize(value, CliJsonContext.Default.StringArray)
                ?? throw new CommandLineException($"argument {flag}: expected a JSON list of strings");
        }
        catch (JsonException)
        {
            throw new CommandLineException($"argument {flag}: invalid loads value: '{value}'");
        }
    }
}
