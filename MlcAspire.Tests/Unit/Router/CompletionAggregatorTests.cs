using System.Text;
using System.Text.Json;
using MlcAspire.Router.Forwarding;

namespace MlcAspire.Tests.Unit.Router;

[Trait("Category", "Unit")]
public sealed class CompletionAggregatorTests
{
    [Fact]
    public void Build_JoinsTextPerChoice_KeepsFirstFinishReasonCreatedAndLastUsage()
    {
        var aggregator = new CompletionAggregator("cmpl-1", "tiny");
        Add(aggregator, """{"id":"x","choices":[{"index":1,"text":"b1","finish_reason":null},{"text":"a1","index":0}],"created":7,"object":"text_completion"}""");
        Add(aggregator, """{"choices":[{"finish_reason":"length","index":0,"text":"a2"}],"created":8}""");
        Add(aggregator, """{"choices":[{"index":1,"text":"b2","finish_reason":"stop"}],"usage":null}""");
        Add(aggregator, """{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7,"extra":{"ttft_s":0.1}}}""");

        var built = aggregator.Build(TimeProvider.System).ToJsonString();

        Assert.Equal(
            """{"id":"cmpl-1","choices":[{"finish_reason":"length","index":0,"logprobs":null,"text":"a1a2"},{"finish_reason":"stop","index":1,"logprobs":null,"text":"b1b2"}],"created":7,"model":"tiny","object":"text_completion","usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7,"extra":{"ttft_s":0.1}}}""",
            built);
    }

    [Fact]
    public void Build_ConcatenatesLogprobsAcrossChunks()
    {
        var aggregator = new CompletionAggregator("cmpl-1", null);
        Add(aggregator, """{"choices":[{"index":0,"text":"a","logprobs":{"token_logprobs":[-0.5],"tokens":["a"],"top_logprobs":[{"a":-0.5}]}}]}""");
        Add(aggregator, """{"choices":[{"index":0,"text":"b","logprobs":{"token_logprobs":[-1.5],"tokens":["b"],"top_logprobs":[{"b":-1.5}]}}]}""");

        var logprobs = aggregator.Build(TimeProvider.System)["choices"]![0]!["logprobs"]!.ToJsonString();

        Assert.Equal("""{"text_offset":null,"token_logprobs":[-0.5,-1.5],"tokens":["a","b"],"top_logprobs":[{"a":-0.5},{"b":-1.5}]}""", logprobs);
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("""{"choices":[{"index":"zero","text":"a"}]}""")]
    [InlineData("""{"choices":[{"index":0,"text":5}]}""")]
    [InlineData("""{"choices":[{"index":0,"text":"a",""")]
    public void Add_ChunkThatIsNotACompletionChunk_Throws(string chunk)
    {
        var aggregator = new CompletionAggregator("cmpl-1", null);

        var thrown = Record.Exception(() => Add(aggregator, chunk));

        Assert.True(thrown is JsonException or InvalidOperationException, $"unexpected {thrown?.GetType().Name ?? "no exception"}");
    }

    private static void Add(CompletionAggregator aggregator, string chunk) => aggregator.Add(Encoding.UTF8.GetBytes(chunk));
}
