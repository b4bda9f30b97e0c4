using System.Text;
using MlcAspire.Router.Forwarding;

namespace MlcAspire.Tests.Unit.Router;

[Trait("Category", "Unit")]
public sealed class CompletionChunkTests
{
    [Theory]
    [InlineData("""{"id":"c","choices":[{"index":0,"text":"hi","finish_reason":null}],"error":null}""")]
    [InlineData("""{"error":null,"choices":[]}""")]
    public void Scan_ErrorKeyWithNull_IsNotAFailure(string json)
    {
        var chunk = CompletionChunk.Scan(Encoding.UTF8.GetBytes(json));

        Assert.False(chunk.IsError);
    }

    [Theory]
    [InlineData("""{"error":{"message":"engine failed","type":"server_error"}}""")]
    [InlineData("""{"object":"error","error":"engine failed"}""")]
    [InlineData("""{"choices":[{"index":0,"text":"","finish_reason":null}],"error":{"message":"late"}}""")]
    public void Scan_ErrorObjectOrString_IsAFailure(string json)
    {
        var chunk = CompletionChunk.Scan(Encoding.UTF8.GetBytes(json));

        Assert.True(chunk.IsError);
    }

    [Fact]
    public void Scan_NullError_StillReadsTheChoices()
    {
        var chunk = CompletionChunk.Scan("""{"error":null,"choices":[{"index":1,"text":"abc","finish_reason":"preempt"}]}"""u8);

        Assert.Equal([new ChoiceSummary(1, "abc", "preempt")], chunk.Choices);
        Assert.True(chunk.IsPreempted);
    }
}
