using MlcAspire.Models;

namespace MlcAspire.Router.Scheduling;

/// <summary>
/// The model directory's tokenizer (the same one the engines load), read on first use: round-robin never
/// tokenizes (it reads only the config, for the context window), and a model argument that is not a local
/// directory (a real engine may take other forms) only matters when token ids are needed.
/// </summary>
internal sealed class ModelPromptTokenizer(IOptions<RouterOptions> options) : IPromptTokenizer
{
    private readonly Lazy<MlcChatConfig?> _config = new(() => Directory.Exists(options.Value.ModelFolder) ? MlcModel.LoadConfig(options.Value.ModelFolder) : null);
    private readonly Lazy<MlcModel?> _model = new(() => Directory.Exists(options.Value.ModelFolder) ? MlcModel.Load(options.Value.ModelFolder) : null);

    /// <summary>Whether <paramref name="model"/> is a model directory whose tokenizer the router can load.</summary>
    public static bool IsAvailable(string model) =>
        File.Exists(Path.Combine(model, MlcModel.ConfigFileName)) && File.Exists(Path.Combine(model, MlcModel.TokenizerFileName));

    public int? ContextWindowSize => _config.Value?.ContextWindowSize is > 0 and var size ? size : null;

    public Models.Chat.ConversationTemplate? ConversationTemplate => _model.Value?.Config.ConversationTemplate;

    public IReadOnlyList<int> Encode(string text) =>
        (_model.Value ?? throw new InvalidOperationException($"{RouterOptions.SectionName}:Model '{options.Value.ModelFolder}' is not a model directory, so text prompts cannot be tokenized."))
            .Tokenizer.EncodeToIds(text);

    public int MinimumTokenCount(string text) => _model.Value?.MinimumTokenCount(text) ?? 0;
}
