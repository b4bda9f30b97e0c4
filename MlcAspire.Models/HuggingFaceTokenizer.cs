using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace MlcAspire.Models;

/// <summary>
/// Builds a byte-level BPE tokenizer from a Hugging Face <c>tokenizer.json</c> (GPT-2, Llama 3, Qwen, and the
/// reference model), which Microsoft.ML.Tokenizers cannot read itself.
/// </summary>
internal static partial class HuggingFaceTokenizer
{
    public static ByteLevelBpeTokenizer Load(string path)
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
        var merges = model.GetProperty("merges").EnumerateArray().Select(ReadMerge).ToList();
        var preTokenizer = new RegexPreTokenizer(ReadSplitPattern(root), specialTokens);

        // The library's tokenizer validates the vocabulary and merges, and decodes.
        var library = BpeTokenizer.Create(new BpeOptions(vocabulary)
        {
            Merges = merges.Select(merge => $"{merge.Left} {merge.Right}"),
            ByteLevel = true,
            SpecialTokens = specialTokens,
            PreTokenizer = preTokenizer,
        });

        var ids = vocabulary.ToDictionary(entry => entry.Key, entry => entry.Value, StringComparer.Ordinal);
        var byteIds = Enumerable.Range(0, 256)
            .Select(value => ids.TryGetValue(ByteLevelAlphabet.CharOf((byte)value).ToString(), out var id) ? id : -1)
            .ToArray();
        var merger = new BytePairMerger(byteIds, [.. merges.Select(merge => (ids[merge.Left], ids[merge.Right], ids[merge.Left + merge.Right]))]);
        return new ByteLevelBpeTokenizer(library, preTokenizer, merger, specialTokens, vocabulary);
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
    private static (string Left, string Right) ReadMerge(JsonElement merge) => merge.ValueKind switch
    {
        JsonValueKind.String when merge.GetString()!.Split(' ') is [var left, var right] => (left, right),
        JsonValueKind.Array when merge.GetArrayLength() == 2 => (merge[0].GetString()!, merge[1].GetString()!),
        _ => throw new InvalidDataException("A BPE merge must be a string \"a b\" or a pair of strings."),
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
