using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;
using MlcAspire.Bench.Load;
using MlcAspire.Models;

namespace MlcAspire.Tests.Unit.Models;

/// <summary>
/// The tokenizer's ids equal two independent references (the library's <see cref="BpeTokenizer"/> and a textbook
/// quadratic merge written here) on inputs small enough for both, and its work on the hostile inputs at full size
/// is bounded by counting the merge heap's operations, never by timing.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ByteLevelBpeTokenizerTests
{
    private static readonly ByteLevelBpeTokenizer s_tokenizer = (ByteLevelBpeTokenizer)MlcModel.Load(RepositoryPaths.ReferenceTinyModel).Tokenizer;
    private static readonly TextbookBpe s_textbook = new(Path.Combine(RepositoryPaths.ReferenceTinyModel, MlcModel.TokenizerFileName));

    public static TheoryData<string> HostileKinds => [.. LongRunPrompts.Kinds];

    [Theory]
    [MemberData(nameof(HostileKinds))]
    public void EncodeToIds_SmallHostileInput_EqualsLibraryAndTextbookMerge(string kind)
    {
        var text = LongRunPrompts.Create(kind, 2_001);

        var ids = s_tokenizer.EncodeToIds(text);

        Assert.Equal(s_tokenizer.Library.EncodeToIds(text), ids);
        Assert.Equal(s_textbook.Encode(s_tokenizer.PreTokenizer!, text), ids);
    }

    [Theory]
    [InlineData("README.md")]
    [InlineData("docs/router.md")]
    [InlineData("MlcAspire.Router/Apis/CompletionsApi.cs")]
    public void EncodeToIds_RepositoryText_EqualsLibraryAndTextbookMerge(string file)
    {
        var text = File.ReadAllText(Path.Combine(RepositoryPaths.Root, file));

        var ids = s_tokenizer.EncodeToIds(text);

        Assert.Equal(s_tokenizer.Library.EncodeToIds(text), ids);
        Assert.Equal(s_textbook.Encode(s_tokenizer.PreTokenizer!, text), ids);
    }

    [Theory]
    [MemberData(nameof(HostileKinds))]
    public void EncodeToIds_HostileInputOf100kChars_HeapWorkIsLinearInBytes(string kind)
    {
        var text = LongRunPrompts.Create(kind, 100_000);
        var bytes = Encoding.UTF8.GetByteCount(text);

        var ids = s_tokenizer.EncodeCountingWork(text, out var heapOperations);

        // Each byte starts at most one candidate merge and each merge adds at most two: at most 3n pushes, as many pops.
        Assert.InRange(heapOperations, 0, 6L * bytes);
        Assert.InRange(ids.Count, s_tokenizer.MinimumTokenCount(text), bytes);
    }

    [Theory]
    [InlineData("The router hands every request from a prefill engine to a decode engine.")]
    [InlineData("  leading spaces,\ttabs\r\nand <|endoftext|> inside — with “quotes” → §12 and 漢字 🚀")]
    [InlineData("lone \ud800 surrogates \udc00 and a pair \ud83d\ude80")]
    [InlineData("<|begin_of_text|><|endoftext|>")]
    public void EncodeToTokens_EqualsLibraryIdsValuesAndOffsets(string text)
    {
        var tokens = s_tokenizer.EncodeToTokens(text, out _);
        var expected = s_tokenizer.Library.EncodeToTokens(text, out _);

        Assert.Equal(expected.Select(t => (t.Id, t.Value, t.Offset)), tokens.Select(t => (t.Id, t.Value, t.Offset)));
        Assert.Equal(s_tokenizer.Library.EncodeToIds(text, considerPreTokenization: false), s_tokenizer.EncodeToIds(text, considerPreTokenization: false));
    }

    [Fact]
    public void MaxTokenBytes_IsTheLongestEntryInBytes()
    {
        // "<|begin_of_text|>" (17 bytes) outgrows the longest merged entry, sixteen spaces spelled "Ġ" each.
        Assert.Equal(17, s_tokenizer.MaxTokenBytes);
    }

    [Theory]
    [MemberData(nameof(HostileKinds))]
    public void MinimumTokenCount_NeverExceedsTheTokenCount(string kind)
    {
        var text = LongRunPrompts.Create(kind, 5_000);

        Assert.InRange(s_tokenizer.MinimumTokenCount(text), 1, s_tokenizer.EncodeToIds(text).Count);
    }

    [Fact]
    public void MinimumTokenCount_SixteenSpaces_IsOneToken()
    {
        var text = new string(' ', 16);

        Assert.Single(s_tokenizer.EncodeToIds(text));
        Assert.Equal(1, s_tokenizer.MinimumTokenCount(text));
    }

    /// <summary>
    /// GPT-2's merge as its paper and <c>encoder.py</c> describe it: repeatedly merge the leftmost occurrence of the
    /// best-ranked pair. Quadratic, obviously right, and written without the code under test.
    /// </summary>
    private sealed class TextbookBpe
    {
        private readonly Dictionary<string, int> _vocabulary = [];
        private readonly Dictionary<(int, int), (int Rank, int Merged)> _merges = [];
        private readonly Dictionary<string, int> _special = [];
        private readonly int[] _byteIds;

        public TextbookBpe(string tokenizerJson)
        {
            using var document = JsonDocument.Parse(File.ReadAllText(tokenizerJson));
            var model = document.RootElement.GetProperty("model");
            foreach (var entry in model.GetProperty("vocab").EnumerateObject())
            {
                _vocabulary[entry.Name] = entry.Value.GetInt32();
            }

            foreach (var added in document.RootElement.GetProperty("added_tokens").EnumerateArray())
            {
                _special[added.GetProperty("content").GetString()!] = added.GetProperty("id").GetInt32();
            }

            var rank = 0;
            foreach (var merge in model.GetProperty("merges").EnumerateArray())
            {
                var parts = merge.ValueKind == JsonValueKind.String ? merge.GetString()!.Split(' ') : [merge[0].GetString()!, merge[1].GetString()!];
                _merges[(_vocabulary[parts[0]], _vocabulary[parts[1]])] = (rank++, _vocabulary[parts[0] + parts[1]]);
            }

            // bytes_to_unicode: printable Latin-1 bytes spell themselves, the rest take U+0100 onwards in byte order.
            var printable = Enumerable.Range('!', 94).Concat(Enumerable.Range('¡', 12)).Concat(Enumerable.Range('®', 82)).ToHashSet();
            var spare = 256;
            _byteIds = [.. Enumerable.Range(0, 256).Select(b => _vocabulary[((char)(printable.Contains(b) ? b : spare++)).ToString()])];
        }

        public List<int> Encode(PreTokenizer preTokenizer, string text)
        {
            var ids = new List<int>();
            foreach (var (offset, length) in preTokenizer.PreTokenize(text))
            {
                var piece = text.Substring(offset, length);
                if (_special.TryGetValue(piece, out var special))
                {
                    ids.Add(special);
                    continue;
                }

                var symbols = Encoding.UTF8.GetBytes(piece).Select(b => _byteIds[b]).ToList();
                while (true)
                {
                    var best = -1;
                    for (var i = 0; i + 1 < symbols.Count; i++)
                    {
                        if (_merges.TryGetValue((symbols[i], symbols[i + 1]), out var merge) && (best < 0 || merge.Rank < _merges[(symbols[best], symbols[best + 1])].Rank))
                        {
                            best = i;
                        }
                    }

                    if (best < 0)
                    {
                        break;
                    }

                    symbols[best] = _merges[(symbols[best], symbols[best + 1])].Merged;
                    symbols.RemoveAt(best + 1);
                }

                ids.AddRange(symbols);
            }

            return ids;
        }
    }
}
