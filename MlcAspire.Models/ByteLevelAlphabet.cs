namespace MlcAspire.Models;

/// <summary>
/// GPT-2's <c>bytes_to_unicode</c>: byte-level BPE vocabularies spell each UTF-8 byte as one printable character
/// (printable Latin-1 bytes as themselves, the others as U+0100 onwards), so a token's byte length is the number
/// of such characters in its vocabulary entry.
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] s_byteToChar = BuildTable();
    private static readonly Dictionary<char, byte> s_charToByte = s_byteToChar.Select((c, b) => KeyValuePair.Create(c, (byte)b)).ToDictionary();

    /// <summary>The vocabulary character that spells <paramref name="value"/>.</summary>
    public static char CharOf(byte value) => s_byteToChar[value];

    /// <summary>
    /// How many input bytes the vocabulary entry <paramref name="token"/> stands for: one per alphabet character;
    /// any other character (a vocabulary may hold entries no byte sequence spells) counts its own UTF-8 length, so
    /// the result never underestimates.
    /// </summary>
    public static int ByteLength(string token)
    {
        var length = 0;
        for (var i = 0; i < token.Length; i++)
        {
            if (s_charToByte.ContainsKey(token[i]))
            {
                length++;
            }
            else if (char.IsSurrogatePair(token, i))
            {
                length += 4;
                i++;
            }
            else
            {
                length += System.Text.Encoding.UTF8.GetByteCount(token.AsSpan(i, 1));
            }
        }

        return length;
    }

    private static char[] BuildTable()
    {
        var table = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= '¡' and <= '¬' or >= '®' and <= 'ÿ';
            table[b] = printable ? (char)b : (char)next++;
        }

        return table;
    }
}
