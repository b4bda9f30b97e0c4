using System.Diagnostics.CodeAnalysis;

namespace MlcAspire.Contracts;

/// <summary>MLC's spellings of <see cref="RouterMode"/>: what <c>--router-mode</c> and <c>Router__Mode</c> take.</summary>
public static class RouterModeNames
{
    /// <summary>The spelling of <see cref="RouterMode.RoundRobin"/>.</summary>
    public const string RoundRobin = "round-robin";

    /// <summary>The spelling of <see cref="RouterMode.Disagg"/>.</summary>
    public const string Disagg = "disagg";

    /// <summary>MLC's spelling of <paramref name="mode"/>.</summary>
    public static string Format(RouterMode mode) => mode == RouterMode.RoundRobin ? RoundRobin : Disagg;

    /// <summary>Reads MLC's spelling (exact, as MLC's argparse <c>choices</c> does); false for anything else.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out RouterMode mode)
    {
        (var known, mode) = text switch
        {
            RoundRobin => (true, RouterMode.RoundRobin),
            Disagg => (true, RouterMode.Disagg),
            _ => (false, default),
        };
        return known;
    }
}
