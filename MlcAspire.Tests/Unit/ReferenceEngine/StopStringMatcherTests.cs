extern alias ReferenceEngine;

using ReferenceEngine::MlcAspire.ReferenceEngine.Model;

namespace MlcAspire.Tests.Unit.ReferenceEngine;

[Trait("Category", "Unit")]
public sealed class StopStringMatcherTests
{
    [Theory]
    [InlineData("xxaab", new[] { "aab" }, 5, 3)]
    [InlineData("abababc", new[] { "ababc" }, 7, 5)]
    [InlineData("hello world", new[] { "world", "lo w" }, 7, 4)]
    [InlineData("the end", new[] { "nope" }, 0, 0)]
    public void Feed_ReportsTheEarliestEndingStop(string text, string[] stops, int endsAt, int length)
    {
        var matcher = new StopStringMatcher(stops);
        var (position, found) = (0, 0);
        for (var i = 0; i < text.Length && found == 0; i++)
        {
            (position, found) = (i + 1, matcher.Feed(text[i]));
        }

        Assert.Equal(length, found);
        Assert.Equal(endsAt, found == 0 ? 0 : position);
    }

    [Fact]
    public void PendingLength_IsTheLongestTailThatCouldStillBecomeAStop()
    {
        var matcher = new StopStringMatcher(["<|im_end|>", "###"]);
        foreach (var c in "answer <|im_")
        {
            Assert.Equal(0, matcher.Feed(c));
        }

        Assert.Equal("<|im_".Length, matcher.PendingLength);
        matcher.Reset();
        Assert.Equal(0, matcher.PendingLength);
    }

    /// <summary>The automaton against the definition, on random text over a small alphabet where stops overlap often.</summary>
    [Fact]
    public void Feed_AgreesWithANaiveScan_OnRandomText()
    {
        var random = new Random(7);
        string Word(int max) => new([.. Enumerable.Range(0, random.Next(1, max + 1)).Select(_ => "ab c"[random.Next(4)])]);
        for (var trial = 0; trial < 2_000; trial++)
        {
            string[] stops = [.. Enumerable.Range(0, random.Next(1, 4)).Select(_ => Word(5))];
            var text = Word(40);
            var matcher = new StopStringMatcher(stops);
            for (var i = 0; i < text.Length; i++)
            {
                var seen = text[..(i + 1)];
                var expected = stops.FirstOrDefault(stop => seen.EndsWith(stop, StringComparison.Ordinal))?.Length ?? 0;
                var found = matcher.Feed(text[i]);
                Assert.Equal(expected, found);
                if (found > 0)
                {
                    break;
                }

                var pending = Enumerable.Range(0, seen.Length + 1).Reverse().First(k =>
                    k == 0 || stops.Any(stop => stop.Length > k && stop.StartsWith(seen[^k..], StringComparison.Ordinal)));
                Assert.Equal(pending, matcher.PendingLength);
            }
        }
    }
}
