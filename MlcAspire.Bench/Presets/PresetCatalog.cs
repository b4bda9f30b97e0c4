namespace MlcAspire.Bench.Presets;

internal static class PresetCatalog
{
    public static readonly IReadOnlyList<IPreset> All =
<<<<<<< HEAD
        [new OverheadPreset(), new StreamingPreset(), new PdPreset(), new SoakPreset(), new SmokePreset(), new HostilePreset()];
=======
        [new OverheadPreset(), new StreamingPreset(), new PdPreset(), new PrefixPreset(), new SoakPreset(), new SmokePreset()];
>>>>>>> main

    public static IPreset? Find(string name) => All.FirstOrDefault(p => p.Name == name);
}
