using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using MlcAspire.Router;
using MlcAspire.Router.Protocol;

namespace MlcAspire.Tests.Unit.Router;

[Trait("Category", "Unit")]
public sealed class RequestBodyReaderTests
{
    private static readonly RequestLimitsOptions Limits = new() { BodyReadTimeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task BodyThatStallsPastBodyReadTimeout_Gets408RequestTimeout()
    {
        var clock = new FakeTimeProvider();
        var context = new DefaultHttpContext();
        context.Request.Body = new StallingStream("""{"prompt":"the rest never comes"""u8.ToArray());

        var reading = RequestBodyReader.ReadJsonAsync(context.Request, 1024, Limits, clock, TestContext.Current.CancellationToken);
        clock.Advance(Limits.BodyReadTimeout - TimeSpan.FromMilliseconds(1));
        Assert.False(reading.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var (body, error) = await reading;

        Assert.Null(body);
        Assert.Equal(StatusCodes.Status408RequestTimeout, error!.StatusCode);
        Assert.Equal("request_timeout", error.Code);
    }

    [Fact]
    public async Task BodyThatArrivesWithinBodyReadTimeout_IsRead()
    {
        var context = new DefaultHttpContext();
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes("""{"prompt":"x"}"""));

        var (body, error) = await RequestBodyReader.ReadJsonAsync(context.Request, 1024, Limits, new FakeTimeProvider(), TestContext.Current.CancellationToken);

        Assert.Null(error);
        Assert.Equal("x", body!["prompt"]!.GetValue<string>());
    }

    /// <summary>Returns the start of a body, then waits for more until cancelled, as a client that stopped sending.</summary>
    private sealed class StallingStream(byte[] start) : Stream
    {
        private int _sent;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_sent < start.Length)
            {
                var count = Math.Min(buffer.Length, start.Length - _sent);
                start.AsMemory(_sent, count).CopyTo(buffer);
                _sent += count;
                return count;
            }

            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
