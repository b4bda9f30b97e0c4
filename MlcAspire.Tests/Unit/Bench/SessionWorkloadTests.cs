using MlcAspire.Bench.Load;

namespace MlcAspire.Tests.Unit.Bench;

[Trait("Category", "Unit")]
public sealed class SessionWorkloadTests
{
    private static readonly SessionWorkload Shared = new(Sessions: 6, Turns: 4, SharedPrefixes: 3, SystemTokens: 40, FirstUserTokens: 10,
        ReplyTokens: 4, UserTokens: 6, OutputTokens: 4, SharePrefixes: true);

    [Fact]
    public void Prepare_EveryTurnExtendsTheLast_AndSessionsShareTheirSystemPrompt()
    {
        var sessions = Shared.Prepare("m", seed: 1);

        Assert.Equal(6, sessions.Count);
        Assert.All(sessions, turns =>
        {
            Assert.Equal([50, 60, 70, 80], turns.Select(t => t.PromptTokens.Length));
            for (var t = 1; t < turns.Length; t++)
            {
                Assert.Equal(turns[t - 1].PromptTokens, turns[t].PromptTokens[..turns[t - 1].PromptTokens.Length]);
            }
        });
        Assert.Equal(sessions[0][0].PromptTokens[..40], sessions[3][0].PromptTokens[..40]);
        Assert.NotEqual(sessions[0][0].PromptTokens[..40], sessions[1][0].PromptTokens[..40]);
        Assert.Equal(sessions.Sum(s => s.Sum(t => (long)t.PromptTokens.Length)), Shared.PromptTokens);
    }

    [Fact]
    public void Prepare_WithoutSharing_KeepsTheLengthsButNoCommonStart()
    {
        var sessions = (Shared with { SharePrefixes = false }).Prepare("m", seed: 1);

        Assert.All(sessions, turns => Assert.Equal([50, 60, 70, 80], turns.Select(t => t.PromptTokens.Length)));
        var starts = sessions.SelectMany(turns => turns).Select(t => string.Join(',', t.PromptTokens[..16])).ToList();
        Assert.Equal(starts.Count, starts.Distinct().Count());
    }

    [Fact]
    public void Prepare_ANewSeed_GivesNewPrompts()
    {
        Assert.NotEqual(Shared.Prepare("m", seed: 1)[0][0].PromptTokens, Shared.Prepare("m", seed: 2)[0][0].PromptTokens);
    }
}
