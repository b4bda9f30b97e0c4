using System.Text;

namespace MlcAspire.Bench.Load;

/// <summary>
/// Prompt texts that make byte-level BPE work hard: long runs of one character that merges with itself, one long
/// word, random bytes, long runs of multi-byte characters. A tokenizer whose merge is quadratic in a pre-token's
/// length spends seconds on 100,000 characters of these; the hostile mix, the tokenizer's tests and the hostile
/// benchmark all draw from here.
/// </summary>
internal static class LongRunPrompts
{
    /// <summary>Every kind, by name.</summary>
    public static IReadOnlyList<string> Kinds { get; } =
        ["one-char-run", "space-run", "long-word", "random-bytes", "random-scalars", "two-byte-run", "arrow-run", "cjk-run", "emoji-run"];

    /// <summary>A prompt of the given kind, about <paramref name="length"/> chars long; the same arguments make the same text.</summary>
    public static string Create(string kind, int length, int seed = 17) => kind switch
    {
        // 'x' merges into "xx" in the reference vocabulary: one pre-token of n bytes, n/2 merges.
        "one-char-run" => new string('x', length),
        // Whitespace is one pre-token, merged up to sixteen spaces a token.
        "space-run" => new string(' ', length),
        // Letters only: one pre-token, every merge of the vocabulary's longest words in play.
        "long-word" => Repeat("microserving", length),
        // What a client sends when it sends random bytes as JSON text: U+FFFD where they are not UTF-8.
        "random-bytes" => Encoding.UTF8.GetString(RandomBytes(length, seed)),
        "random-scalars" => RandomScalars(length, seed),
        // Two UTF-8 bytes that merge ("§"), and a space plus three bytes that merge into one token (" →").
        "two-byte-run" => new string('§', length),
        "arrow-run" => Repeat(" →", length),
        // Three and four bytes a character that no merge joins.
        "cjk-run" => new string('漢', length),
        "emoji-run" => Repeat("🚀", length),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a long-run prompt kind."),
    };

    private static string Repeat(string unit, int length) =>
        new StringBuilder(length + unit.Length).Insert(0, unit, Math.Max(1, length / unit.Length)).ToString();

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static string RandomScalars(int length, int seed)
    {
        var random = new Random(seed);
        var builder = new StringBuilder(length + 2);
        while (builder.Length < length)
        {
            var scalar = random.Next(0x110000 - 0x800);
            builder.Append(char.ConvertFromUtf32(scalar < 0xD800 ? scalar : scalar + 0x800));
        }

        return builder.ToString();
    }
}
