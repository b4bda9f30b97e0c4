using System.Text.Json.Serialization;

namespace MlcAspire.Bench.Reporting;

// A percentile of an empty distribution is NaN; JSON has no NaN, so write it as the string "NaN".
[JsonSourceGenerationOptions(
    WriteIndented = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(BenchReport))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
