using System.Text;
using MlcAspire.Bench.Load;
using MlcAspire.Bench.Measurement;

namespace MlcAspire.Tests.Unit.Bench;

[Trait("Category", "Unit")]
public sealed class ResponseScannerTests
{
    private const string Chunk = """data: {"id":"cmpl-1","choices":[{"finish_reason":null,"index":0,"logprobs":null,"text":" hi"}],"created":1,"model":null,"object":"text_completion","usage":null}""";
    private const string EmptyChunk = """data: {"id":"cmpl-1","choices":[{"finish_reason":"length","index":0,"logprobs":null,"text":""}],"usage":null}""";
    private const string Usage = """data: {"id":"cmpl-1","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8,"extra":null}}""";

    [Fact]
    public async Task ReadAsync_StreamSplitAcrossReads_CountsTextChunksUsageAndDone()
    {
        var body = $"{Chunk}\n\n{Chunk}\n\n{EmptyChunk}\n\n{Chunk}\n\n{Usage}\n\ndata: [DONE]\n\n";

        var scan = await ResponseScanner.ReadAsync(new TrickleStream(Encoding.UTF8.GetBytes(body), 7), 0, stream: true, recordReceipts: false,
            TestContext.Current.CancellationToken);

        Assert.Equal(3, scan.Chunks);
        Assert.Equal(3, scan.UsageCompletionTokens);
        Assert.True(scan.Done);
        Assert.False(scan.Error);
        Assert.True(scan.FirstTokenAt > 0);
    }

    [Fact]
    public async Task ReadAsync_StreamWithErrorEventAndNoDone_ReportsErrorNotDone()
    {
        var body = $"{Chunk}\n\ndata: {{\"error\":{{\"message\":\"engine failed\",\"type\":\"server_error\",\"param\":null,\"code\":null}}}}\n\n";

        var scan = await ResponseScanner.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(body)), 0, stream: true, recordReceipts: false,
            TestContext.Current.CancellationToken);

        Assert.True(scan.Error);
        Assert.False(scan.Done);
        Assert.Equal(1, scan.Chunks);
    }

    [Fact]
    public async Task ReadAsync_NonStreamedJson_ReadsCompletionTokens()
    {
        var body = """{"id":"cmpl-1","choices":[{"finish_reason":"length","index":0,"logprobs":null,"text":"abc"}],"usage":{"prompt_tokens":5, "completion_tokens": 12,"total_tokens":17}}""";

        var scan = await ResponseScanner.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(body)), 0, stream: false, recordReceipts: false,
            TestContext.Current.CancellationToken);

        Assert.True(scan.Done);
        Assert.Equal(12, scan.UsageCompletionTokens);
        Assert.Equal(0, scan.Chunks);
    }

    [Fact]
    public async Task ReadAsync_RecordingReceipts_StampsEveryDataEventButDone_WithTheChunksId()
    {
        var body = $"{Chunk}\n\n{EmptyChunk}\n\n: comment\n\n{Usage}\n\ndata: [DONE]\n\n";

        var scan = await ResponseScanner.ReadAsync(new TrickleStream(Encoding.UTF8.GetBytes(body), 50), 0, stream: true, recordReceipts: true,
            TestContext.Current.CancellationToken);

        var receipt = Assert.IsType<StreamReceipt>(scan.Receipt);
        Assert.Equal("cmpl-1", receipt.Id);
        Assert.Equal(3, receipt.ReceivedAt.Length);
        Assert.All(receipt.ReceivedAt, at => Assert.True(at > 0));
        Assert.True(receipt.ReceivedAt[0] <= receipt.ReceivedAt[1] && receipt.ReceivedAt[1] <= receipt.ReceivedAt[2]);
    }

    /// <summary>Returns at most <paramref name="step"/> bytes per read, so that events straddle reads.</summary>
    private sealed class TrickleStream(byte[] data, int step) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(step, buffer.Length)], cancellationToken);
    }
}
