using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace MlcAspire.Models;

/// <summary>
/// An MLC model directory, as <c>mlc_llm serve MODEL</c> and <c>mlc_llm router MODEL</c> take it: its
/// <c>mlc-chat-config.json</c> and the tokenizer it names. The router and the reference engine load the
/// same directory, so both turn a prompt into the same token ids.
/// </summary>
public sealed class MlcModel
{
    /// <summary>The file every MLC model directory holds.</summary>
    public const string ConfigFileName = "mlc-chat-config.json";

    /// <summary>The Hugging Face tokenizer file MLC models ship (byte-level BPE for Llama 3, Qwen, GPT-2 style models).</summary>
    public const string TokenizerFileName = "tokenizer.json";

    private readonly ByteLevelBpeTokenizer _tokenizer;

    private MlcModel(string directory, MlcChatConfig config, ByteLevelBpeTokenizer tokenizer)
    {
        Directory = directory;
        Config = config;
        _tokenizer = tokenizer;
    }

    /// <summary>The full path of the model directory.</summary>
    public string Directory { get; }

    public MlcChatConfig Config { get; }

    /// <summary>The model's tokenizer; its encoding is O(n log n) in the text's length.</summary>
    public Tokenizer Tokenizer => _tokenizer;

    /// <summary>
    /// The fewest tokens <paramref name="text"/> can encode to, in O(n) and without encoding it: its UTF-8 length
    /// over the longest token's. A prompt (or a rendered chat conversation) whose bound already exceeds the context
    /// window is rejected before it is tokenized, so the cost of a too-long prompt does not grow with its length
    /// past that point. 0 when the tokenizer gives no such bound.
    /// </summary>
    public int MinimumTokenCount(ReadOnlySpan<char> text) => _tokenizer.MinimumTokenCount(text);

    /// <summary>Loads the config and tokenizer of the model directory at <paramref name="directory"/>.</summary>
    /// <exception cref="InvalidDataException">The directory is not an MLC model directory, or a file in it is malformed; the message names the file.</exception>
    public static MlcModel Load(string directory)
    {
        var fullPath = Path.GetFullPath(directory);
        var config = LoadConfig(fullPath);
        var tokenizerPath = Path.Combine(fullPath, TokenizerFileName);
        if (!File.Exists(tokenizerPath))
        {
            throw new InvalidDataException($"The model directory '{fullPath}' has no {TokenizerFileName}.");
        }

        return new MlcModel(fullPath, config, HuggingFaceTokenizer.Load(tokenizerPath));
    }

    /// <summary>Reads only <c>mlc-chat-config.json</c>, for callers that need no tokenizer.</summary>
    public static MlcChatConfig LoadConfig(string directory)
    {
        var configPath = Path.Combine(directory, ConfigFileName);
        if (!File.Exists(configPath))
        {
            throw new InvalidDataException($"'{Path.GetFullPath(directory)}' is not an MLC model directory: it has no {ConfigFileName}.");
        }

        try
        {
            using var stream = File.OpenRead(configPath);
            return JsonSerializer.Deserialize(stream, ModelsJsonContext.Default.MlcChatConfig)
                ?? throw new InvalidDataException($"{configPath} holds null.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{configPath} is not valid: {ex.Message}", ex);
        }
    }
}
