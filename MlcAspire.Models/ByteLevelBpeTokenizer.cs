using System.Buffers;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace MlcAspire.Models;

/// <summary>
/// A byte-level BPE tokenizer whose encoding is O(n log n) in the text's length, with the token ids of
/// Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> for every input (tests pin both). The library merges a
/// pre-token in time quadratic in its length, which let one request of a single repeated character hold a core for
/// seconds; decoding, which only ever sees ids, stays the library's.
/// </summary>
internal sealed class ByteLevelBpeTokenizer : Tokenizer
{
    private readonly PreTokenizer _preTokenizer;
    private readonly BytePairMerger _merger;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _specialTokens;
    private readonly Dictionary<int, string> _tokenValues;

    /// <param name="library">The library's tokenizer over the same vocabulary: it decodes, and tests compare ids with it.</param>
    /// <param name="preTokenizer">Splits text into pre-tokens, special tokens on their own (the library's own splitter).</param>
    /// <param name="merger">The vocabulary's merges.</param>
    /// <param name="specialTokens">Special tokens, encoded whole when a pre-token equals one.</param>
    /// <param name="vocabulary">Every entry (special tokens too), as <see cref="EncodedToken.Value"/> reports it.</param>
    public ByteLevelBpeTokenizer(
        BpeTokenizer library,
        PreTokenizer preTokenizer,
        BytePairMerger merger,
        IReadOnlyDictionary<string, int> specialTokens,
        IEnumerable<KeyValuePair<string, int>> vocabulary)
    {
        Library = library;
        _preTokenizer = preTokenizer;
        _merger = merger;
        _specialTokens = new Dictionary<string, int>(specialTokens, StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        _tokenValues = vocabulary.DistinctBy(entry => entry.Value).ToDictionary(entry => entry.Value, entry => entry.Key);
        MaxTokenBytes = Math.Max(1, vocabulary.Max(entry => specialTokens.ContainsKey(entry.Key)
            ? Encoding.UTF8.GetByteCount(entry.Key)
            : ByteLevelAlphabet.ByteLength(entry.Key)));
    }

    public BpeTokenizer Library { get; }

    /// <summary>The most input bytes one token stands for: the longest vocabulary entry, in bytes.</summary>
    public int MaxTokenBytes { get; }

    public override PreTokenizer? PreTokenizer => _preTokenizer;

    /// <summary>
    /// The fewest tokens <paramref name="text"/> can encode to, counted in O(n) without encoding it: no token stands
    /// for more than <see cref="MaxTokenBytes"/> bytes. 0 (no bound) when the vocabulary lacks a byte, since the
    /// library then drops that byte from the ids.
    /// </summary>
    public int MinimumTokenCount(ReadOnlySpan<char> text) =>
        _merger.CoversEveryByte ? (int)Math.Min(int.MaxValue, ((long)Encoding.UTF8.GetByteCount(text) + MaxTokenBytes - 1) / MaxTokenBytes) : 0;

    /// <summary>Encodes <paramref name="text"/> and reports the merge heap's operations, the work the tests bound.</summary>
    public List<int> EncodeCountingWork(string text, out long heapOperations)
    {
        var ids = new List<int>();
        var workspace = new MergeWorkspace();
        Encode(text, considerPreTokenization: true, ids, tokens: null, workspace);
        heapOperations = workspace.HeapOperations;
        return ids;
    }

    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten) =>
        Library.Decode(ids, destination, out idsConsumed, out charsWritten);

    public override string Decode(IEnumerable<int> ids) => Library.Decode(ids);

    protected override EncodeResults<int> EncodeToIds(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        var source = text ?? textSpan.ToString();
        var ids = new List<int>();
        var consumed = Encode(source, settings.ConsiderPreTokenization, ids, tokens: null, new MergeWorkspace());
        return new EncodeResults<int> { Tokens = ids, NormalizedText = null, CharsConsumed = consumed };
    }

    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        var source = text ?? textSpan.ToString();
        var tokens = new List<EncodedToken>();
        Encode(source, settings.ConsiderPreTokenization, [], tokens, new MergeWorkspace());
        return new EncodeResults<EncodedToken> { Tokens = tokens, NormalizedText = null, CharsConsumed = source.Length };
    }

    /// <summary>Encodes every pre-token; returns where the last one ends, as the library reports chars consumed.</summary>
    private int Encode(string text, bool considerPreTokenization, List<int> ids, List<EncodedToken>? tokens, MergeWorkspace workspace)
    {
        if (text.Length == 0)
        {
            return 0;
        }

        var splits = considerPreTokenization ? _preTokenizer.PreTokenize(text) : [(0, text.Length)];
        var bytes = ArrayPool<byte>.Shared.Rent(16);
        var charIndex = ArrayPool<int>.Shared.Rent(16);
        var consumed = 0;
        try
        {
            foreach (var (offset, length) in splits)
            {
                consumed = offset + length;
                var split = text.AsSpan(offset, length);
                if (_specialTokens.TryGetValue(split, out var specialToken, out var specialId))
                {
                    ids.Add(specialId);
                    tokens?.Add(new EncodedToken(specialId, specialToken, new Range(offset, offset + length)));
                    continue;
                }

                if (bytes.Length < 3 * length)
                {
                    ArrayPool<byte>.Shared.Return(bytes);
                    ArrayPool<int>.Shared.Return(charIndex);
                    bytes = ArrayPool<byte>.Shared.Rent(3 * length);
                    charIndex = ArrayPool<int>.Shared.Rent(3 * length);
                }

                var byteCount = ToUtf8(split, bytes, charIndex);
                var count = _merger.Merge(bytes.AsSpan(0, byteCount), workspace);
                var index = 0;
                for (var k = 0; k < count; k++)
                {
                    var id = workspace.Ids[k];
                    ids.Add(id);
                    var end = index + workspace.Lengths[k];
                    tokens?.Add(new EncodedToken(id, _tokenValues[id], new Range(offset + charIndex[index], offset + charIndex[end - 1] + 1)));
                    index = end;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
            ArrayPool<int>.Shared.Return(charIndex);
        }

        return consumed;
    }

    /// <summary>
    /// UTF-8 bytes of <paramref name="text"/> and, for each byte, the index of the char it came from. A lone
    /// surrogate becomes the three bytes of its code unit, as the library encodes it (Encoding.UTF8 would write U+FFFD).
    /// </summary>
    private static int ToUtf8(ReadOnlySpan<char> text, byte[] bytes, int[] charIndex)
    {
        var written = 0;
        for (var i = 0; i < text.Length; i++)
        {
            uint c = text[i];
            var start = written;
            if (c <= 0x7F)
            {
                bytes[written++] = (byte)c;
            }
            else if (c <= 0x7FF)
            {
                bytes[written++] = (byte)(0xC0 | (c >> 6));
                bytes[written++] = (byte)(0x80 | (c & 0x3F));
            }
            else if (i + 1 < text.Length && char.IsSurrogatePair(text[i], text[i + 1]))
            {
                var scalar = (uint)char.ConvertToUtf32(text[i], text[i + 1]);
                bytes[written++] = (byte)(0xF0 | (scalar >> 18));
                bytes[written++] = (byte)(0x80 | ((scalar >> 12) & 0x3F));
                bytes[written++] = (byte)(0x80 | ((scalar >> 6) & 0x3F));
                bytes[written++] = (byte)(0x80 | (scalar & 0x3F));
                charIndex.AsSpan(start, 4).Fill(i);
                i++;
                continue;
            }
            else
            {
                bytes[written++] = (byte)(0xE0 | (c >> 12));
                bytes[written++] = (byte)(0x80 | ((c >> 6) & 0x3F));
                bytes[written++] = (byte)(0x80 | (c & 0x3F));
            }

            charIndex.AsSpan(start, written - start).Fill(i);
        }

        return written;
    }
}
