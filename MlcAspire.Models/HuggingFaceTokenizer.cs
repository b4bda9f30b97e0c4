using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace MlcAspire.Models;

/// <summary>
/// Builds a Microsoft.ML.Tokenizers BPE tokenizer from a Hugging Face <c>tokenizer.json</c> of the
/// byte-level BPE kind (GPT-2, Llama 3, Qwen, and the reference model), which ML.Tokenizers cannot read itself.
/// </summary>
internal static partial class HuggingFaceTokenizer
{
    public static Tokenizer Load(string path)
    {
        using var stream = File.OpenRead(path);
        using var document = ParseJson(stream, path);
        var root = document.RootElement;

        if (!root.TryGetProperty("model", out var model) || model.GetProperty("type").GetString() != "BPE")
        {
            throw new InvalidDataException($"{path}: only BPE tokenizers (model.type \"BPE\") are supported.");
        }

        var vocabulary = model.GetProperty("vocab").EnumerateObject()
            .Select(entry => KeyValuePair.Create(entry.Name, entry.Value.GetInt32()))
            .ToList();
        var specialTokens = ReadAddedTokens(root);
        vocabulary.AddRange(specialTokens.Where(token => !vocabulary.Any(entry => entry.Key == token.Key)));

        var options = new BpeOptions(vocabulary)
        {
            Merges = model.GetProperty("merges").EnumerateArray().Select(ReadMerge).ToList(),
            ByteLevel = true,
            SpecialTokens = specialTokens,
            PreTokenizer = new RegexPreTokenizer(ReadSplitPattern(root), specialTokens),
        };
        return BpeTokenizer.Create(options);
    }

    private static JsonDocument ParseJson(Stream stream, string path)
    {
        try
        {
            return JsonDocument.Parse(stream);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path} is not valid JSON: {ex.Message}", ex);
        }
    }

    // Older files write a merge as "a b"; newer ones as ["a", "b"].
    private static string ReadMerge(JsonElement merge) => merge.ValueKind switch
    {
        JsonValueKind.String => merge.GetString()!,
        JsonValueKind.Array => $"{merge[0].GetString()} {merge[1].GetString()}",
        _ => throw new InvalidDataException("A BPE merge must be a string or a pair of strings."),
    };

    private static Dictionary<string, int> ReadAddedTokens(JsonElement root)
    {
        var tokens = new Dictionary<string, int>(StringComparer.Ordinal);
        if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
        {
            foreach (var token in added.EnumerateArray())
            {
                tokens[token.GetProperty("content").GetString()!] = token.GetProperty("id").GetInt32();
            }
        }

        return tokens;
    }

    /// <summary>
    /// The regex that splits text into pre-tokens: a <c>Split</c> pre-tokenizer's own pattern (Llama 3, Qwen),
    /// else GPT-2's, which a <c>ByteLevel</c> pre-tokenizer with <c>use_regex</c> applies.
    /// </summary>
    private static Regex ReadSplitPattern(JsonElement root)
    {
        if (root.TryGetProperty("pre_tokenizer", out var preTokenizer) && preTokenizer.ValueKind == JsonValueKind.Object)
        {
            var steps = preTokenizer.GetProperty("type").GetString() == "Sequence"
                ? preTokenizer.GetProperty("pretokenizers").EnumerateArray().ToList()
                : [preTokenizer];
            foreach (var step in steps)
            {
                if (step.GetProperty("type").GetString() == "Split"
                    && step.TryGetProperty("pattern", out var pattern)
                    && pattern.TryGetProperty("Regex", out var regex))
                {
                    return new Regex(regex.GetString()!, RegexOptions.Compiled);
                }
            }
        }

        return Gpt2Split();
    }

    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    private static partial Regex Gpt2Split();
}
