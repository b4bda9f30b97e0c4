using System.IO.Pipelines;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using MlcAspire.Router.Forwarding;

namespace MlcAspire.Tests.Unit.Router;

[Trait("Category", "Unit")]
public sealed class EngineSseReaderTests
{
    [Fact]
    public async Task ReadAsync_YieldsDataPayloads_AcrossSplitReadsCrLfAndCommentLines_UntilDone()
    {
        var pipe = new Pipe();
        using var timeout = new ActivityTimeout(TimeProvider.System, TimeSpan.FromMinutes(1), CancellationToken.None);
        var reader = new EngineSseReader(pipe.Reader.AsStream(), timeout, TimeSpan.FromMinutes(1));

        foreach (var part in (string[])["data: {\"a\"", ":1}\n\n: keep-alive\r\n", "data:{\"b\":2}\r\n\r\nevent: x\n", "data: [DONE]\n\ndata: {\"late\":1}\n\n"])
        {
            await pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes(part), TestContext.Current.CancellationToken);
        }

        await pipe.Writer.CompleteAsync();
        var payloads = new List<string>();
        await foreach (var payload in reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            payloads.Add(Encoding.UTF8.GetString(payload.Span));
        }

        Assert.Equal(["{\"a\":1}", "{\"b\":2}"], payloads);
        Assert.True(reader.SawDone);
    }

    [Fact]
    public async Task ReadAsync_StreamEndsWithoutDone_IsReported()
    {
        using var timeout = new ActivityTimeout(TimeProvider.System, TimeSpan.FromMinutes(1), CancellationToken.None);
        var reader = new EngineSseReader(new MemoryStream("data: {}\n\n"u8.ToArray()), timeout, TimeSpan.FromMinutes(1));

        var count = 0;
        await foreach (var _ in reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            count++;
        }

        Assert.Equal(1, count);
        Assert.False(reader.SawDone);
    }

    [Fact]
    public async Task ReadAsync_LineGrowsPastTheBoundWithoutANewline_StopsReading_AndReportsIt()
    {
        // No back-pressure: the whole oversized line is written before the reader starts.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        using var timeout = new ActivityTimeout(TimeProvider.System, TimeSpan.FromMinutes(1), CancellationToken.None);
        var reader = new EngineSseReader(pipe.Reader.AsStream(), timeout, TimeSpan.FromMinutes(1));
        await pipe.Writer.WriteAsync("data: {\"a\":1}\n\ndata: "u8.ToArray(), TestContext.Current.CancellationToken);
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'x');
        for (var written = 0; written <= EngineSseReader.MaxLineBytes; written += chunk.Length)
        {
            await pipe.Writer.WriteAsync(chunk, TestContext.Current.CancellationToken);
        }

        // The writer never completes: without the bound the reader would wait for a newline for ever.
        var payloads = new List<string>();
        await foreach (var payload in reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            payloads.Add(Encoding.UTF8.GetString(payload.Span));
        }

        Assert.Equal(["{\"a\":1}"], payloads);
        Assert.True(reader.LineTooLong);
        Assert.False(reader.SawDone);
    }

    [Fact]
    public async Task ReadAsync_LineJustUnderTheBound_IsYielded()
    {
        var line = new byte[EngineSseReader.MaxLineBytes - 1];
        Array.Fill(line, (byte)'x');
        "data: "u8.CopyTo(line);
        using var timeout = new ActivityTimeout(TimeProvider.System, TimeSpan.FromMinutes(1), CancellationToken.None);
        var reader = new EngineSseReader(new MemoryStream([.. line, .. "\n\ndata: [DONE]\n\n"u8]), timeout, TimeSpan.FromMinutes(1));

        var lengths = new List<int>();
        await foreach (var payload in reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            lengths.Add(payload.Length);
        }

        Assert.Equal([line.Length - "data: ".Length], lengths);
        Assert.False(reader.LineTooLong);
        Assert.True(reader.SawDone);
    }

    [Fact]
    public async Task ReadAsync_IdleTimeoutResetsOnEveryRead_AndFiresOnlyAfterSilence()
    {
        var clock = new FakeTimeProvider();
        var pipe = new Pipe();
        using var timeout = new ActivityTimeout(clock, TimeSpan.FromSeconds(10), CancellationToken.None);
        var reader = new EngineSseReader(pipe.Reader.AsStream(), timeout, TimeSpan.FromSeconds(5));
        await using var events = reader.ReadAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);

        for (var i = 0; i < 3; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(4));
            await pipe.Writer.WriteAsync("data: {}\n\n"u8.ToArray(), TestContext.Current.CancellationToken);
            Assert.True(await events.MoveNextAsync());
        }

        var next = events.MoveNextAsync().AsTask();
        clock.Advance(TimeSpan.FromSeconds(5));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next.WaitAsync(TestContext.Current.CancellationToken));
        Assert.True(timeout.TimedOut);
    }
}
