using System.Globalization;
using System.Text.Json.Nodes;

namespace MlcAspire.Bench.Topology;

/// <summary>A copy of a timing-mode model directory with some <c>model_config</c> keys changed, so that a preset
/// can set the engines' schedule (slow decode for many slow streams, near-zero steps to measure the router) without
/// a model directory per preset in the repository.</summary>
internal static class TimingModelVariant
{
    private const string ConfigFile = "mlc-chat-config.json";
    private const string TimingModelType = "reference-timing";

    public static string Create(string sourceDirectory, string targetDirectory, IReadOnlyDictionary<string, double> timing)
    {
        Directory.CreateDirectory(targetDirectory);
        foreach (var file in Directory.EnumerateFiles(sourceDirectory))
        {
            File.Copy(file, Path.Combine(targetDirectory, Path.GetFileName(file)), overwrite: true);
        }

        var configPath = Path.Combine(targetDirectory, ConfigFile);
        var config = JsonNode.Parse(File.ReadAllText(configPath))?.AsObject()
            ?? throw new InvalidDataException($"{configPath} is not a JSON object.");
        if (config["model_config"] is not JsonObject modelConfig)
        {
            modelConfig = [];
            config["model_config"] = modelConfig;
        }

        // The engine picks its timing model by model_type (docs/wiring.md: the reference engine's timing mode).
        config["model_type"] = TimingModelType;
        foreach (var (key, value) in timing)
        {
            modelConfig[key] = value;
        }

        File.WriteAllText(configPath, config.ToJsonString(new() { WriteIndented = true }));
        return targetDirectory;
    }

    public static string Describe(IReadOnlyDictionary<string, double> timing) =>
        string.Join(", ", timing.Select(t => $"{t.Key}={t.Value.ToString("0.#######", CultureInfo.InvariantCulture)}"));
}
