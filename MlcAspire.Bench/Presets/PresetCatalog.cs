namespace MlcAspire.Bench.Presets;

internal static class PresetCatalog
{
    public static readonly IReadOnlyList<IPreset> All =
        [new OverheadPreset(), new StreamingPreset(), new PdPreset(), new PrefixPreset(), new SoakPreset(), new SmokePreset(), new HostilePreset()];

    public static IPreset? Find(string name) => All.FirstOrDefault(p => p.Name == name);
}
