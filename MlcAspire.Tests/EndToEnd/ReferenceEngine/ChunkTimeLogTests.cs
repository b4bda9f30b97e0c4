using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using static MlcAspire.Tests.EndToEnd.ReferenceEngine.EngineCalls;

namespace MlcAspire.Tests.EndToEnd.ReferenceEngine;

/// <summary>Two engines alike but for <c>MLC_REFERENCE_CHUNK_TIMES</c>: one records send times to a file, one does not.</summary>
public sealed class ChunkTimeLogFixture : IAsyncLifetime
{
    public string LogPath { get; } = Path.Combine(Path.GetTempPath(), $"mlcaspire-chunk-times-{Guid.NewGuid():N}");

    internal EngineProcess Recording { get; private set; } = null!;

    internal EngineProcess Plain { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Recording = EngineProcess.Start([], new Dictionary<string, string> { ["MLC_REFERENCE_CHUNK_TIMES"] = LogPath });
        Plain = EngineProcess.Start([]);
        await Task.WhenAll(Recording.WaitReadyAsync(TestContext.Current.CancellationToken), Plain.WaitReadyAsync(TestContext.Current.CancellationToken));
    }

    public async ValueTask DisposeAsync()
    {
        await Recording.DisposeAsync();
        await Plain.DisposeAsync();
        File.Delete(LogPath);
    }
}

[Trait("Category", "EndToEnd")]
public sealed partial class ChunkTimeLogTests(ChunkTimeLogFixture fixture) : IClassFixture<ChunkTimeLogFixture>
{
    [Fact]
    public async Task StreamedCompletion_RecordsEveryEventButDoneInOrder_AndLeavesTheWireUnchanged()
    {
        var ct = TestContext.Current.CancellationToken;
        const string user = "chunk-times-1";
        var body = GreedyBody(Prompt(seed: 901, 12), maxTokens: 6, user);
        body["stream"] = true;
        body["stream_options"] = new JsonObject { ["include_usage"] = true };

        var sentAt = Stopwatch.GetTimestamp();
        var (recordedType, recorded) = await ReadAsync(fixture.Recording.Client, body, ct);
        var receivedAt = Stopwatch.GetTimestamp();
        var (plainType, plain) = await ReadAsync(fixture.Plain.Client, body, ct);

        Assert.Equal(plainType, recordedType);
        // Only `created` (seconds since the epoch) may differ between two engines' answers.
        Assert.Equal(Created().Replace(plain, "\"created\":0"), Created().Replace(recorded, "\"created\":0"));
        var events = SseData(recorded);
        Assert.Equal("[DONE]", events[^1]);
        var records = await WaitForRecordsAsync(user, events.Count - 1, ct);
        Assert.Equal(Enumerable.Range(0, events.Count - 1), records.Select(r => r.Seq));
        // One clock for both processes (CLOCK_MONOTONIC): every send lies between this client's send and receipt.
        Assert.All(records, r => Assert.InRange(r.Timestamp, sentAt, receivedAt));
        Assert.Equal(records.Select(r => r.Timestamp).Order(), records.Select(r => r.Timestamp));
        var header = File.ReadLines(fixture.LogPath).First();
        Assert.EndsWith(string.Create(CultureInfo.InvariantCulture, $"stopwatch-frequency {Stopwatch.Frequency}"), header);
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(1_000_000_000, Stopwatch.Frequency);
        }
    }

    [Fact]
    public async Task Help_ListsTheVariable_AndExitsZero()
    {
        var (exitCode, _, output) = await EngineProcess.RunToExitAsync(["--help"], TestContext.Current.CancellationToken);

        Assert.Equal(0, exitCode);
        Assert.Contains("MLC_REFERENCE_CHUNK_TIMES", output);
    }

    private static async Task<(MediaTypeHeaderValue? ContentType, string Body)> ReadAsync(HttpClient client, JsonNode body, CancellationToken cancellationToken)
    {
        using var response = await PostAsync(client, "/v1/completions", body, cancellationToken);
        response.EnsureSuccessStatusCode();
        return (response.Content.Headers.ContentType, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>Polls the log until <paramref name="count"/> records of <paramref name="id"/> are in: the engine
    /// writes them from a background queue and flushes once idle, which is the only signal it gives.</summary>
    private async Task<List<(string Id, int Seq, long Timestamp)>> WaitForRecordsAsync(string id, int count, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            var records = (await ReadRecordsAsync(timeout.Token)).Where(r => r.Id == id).ToList();
            if (records.Count >= count)
            {
                return records;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), timeout.Token);
        }
    }

    private async Task<List<(string Id, int Seq, long Timestamp)>> ReadRecordsAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(fixture.LogPath))
        {
            return [];
        }

        await using var file = new FileStream(fixture.LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(file);
        var text = await reader.ReadToEndAsync(cancellationToken);
        // A line after the last newline may be half written.
        return [.. text[..(text.LastIndexOf('\n') + 1)].Split('\n').Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split(' '))
            .Where(parts => parts.Length == 3)
            .Select(parts => (parts[0], int.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture)))];
    }

    [GeneratedRegex("\"created\":\\d+")]
    private static partial Regex Created();
}
