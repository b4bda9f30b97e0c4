namespace MlcAspire.Tests.EndToEnd.ReferenceEngine;

/// <summary>The engine executable fails like argparse on a bad command line: exit code 2 and a message naming the culprit.</summary>
[Trait("Category", "EndToEnd")]
public sealed class EngineCommandLineProcessTests
{
    [Theory]
    [InlineData("--overrides", "max_num_sequence=4;no_such_key=1", "no_such_key")]
    [InlineData("--overrides", "prefill_chunk_size=lots", "prefill_chunk_size")]
    [InlineData("--prefix-cache-mode", "lru", "--prefix-cache-mode")]
    [InlineData("--port", "http", "--port")]
    [InlineData("--overrides", "max_total_seq_length=2000000000", "max_total_seq_length")]
    [InlineData("--overrides", "context_window_size=2000000000", "context_window_size")]
    public async Task BadFlagOrOverride_ExitsWithCode2NamingIt(string flag, string value, string named)
    {
        var (exitCode, error, _) = await EngineProcess.RunToExitAsync([RepositoryPaths.ReferenceTinyModel, flag, value], TestContext.Current.CancellationToken);

        Assert.Equal(2, exitCode);
        Assert.Contains("error: ", error, StringComparison.Ordinal);
        Assert.Contains(named, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NvshmemUid_PrintsA125IntegerUidStartingWithTheVersion()
    {
        await using var helper = await NvshmemUidProcess.StartAsync(TestContext.Current.CancellationToken);

        var uid = System.Text.Json.JsonSerializer.Deserialize<long[]>(helper.Uid)!;

        Assert.Equal(125, uid.Length);
        Assert.Equal(65664, uid[0]);
        Assert.All(uid.Skip(1), b => Assert.InRange(b, sbyte.MinValue, sbyte.MaxValue));
    }
}
