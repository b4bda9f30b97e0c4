extern alias ReferenceEngine;

using ReferenceEngine::MlcAspire.ReferenceEngine.KvCache;

namespace MlcAspire.Tests.Unit.ReferenceEngine;

[Trait("Category", "Unit")]
public sealed class KvAppendMetadataTests
{
    [Fact]
    public void Encode_OneSegment_MatchesTheSpecExample()
    {
        var slots = Enumerable.Range(4096, 499).Select(slot => (long)slot).ToList();

        Assert.Equal("DAAAAAAAAABbMSw0MDk2LDQ5OV0=", KvAppendMetadata.Encode(slots));
    }

    [Fact]
    public void Encode_TwoSegments_MatchesTheSpecExample()
    {
        var slots = Enumerable.Range(4096, 480).Concat(Enumerable.Range(8192, 19)).Select(slot => (long)slot).ToList();

        Assert.Equal("FAAAAAAAAABbMiw0MDk2LDQ4MCw4MTkyLDE5XQ==", KvAppendMetadata.Encode(slots));
    }

    [Fact]
    public void Encode_EmptyWindow_IsZeroSegments()
    {
        Assert.Equal("AwAAAAAAAABbMF0=", KvAppendMetadata.Encode([]));
    }

    [Fact]
    public void TryDecode_RoundTripsTheSlots()
    {
        long[] slots = [32, 33, 34, 80, 81];

        Assert.Equal(slots, KvAppendMetadata.TryDecode(KvAppendMetadata.Encode(slots), out var error));
        Assert.Null(error);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("AQAAAAAAAABbMSw0MDk2LDQ5OV0=")]
    [InlineData("CAAAAAAAAABbMiwzMiwzXQ==")]
    public void TryDecode_Malformed_SaysWhy(string metadata)
    {
        Assert.Null(KvAppendMetadata.TryDecode(metadata, out var error));
        Assert.StartsWith("kv_append_metadata", error, StringComparison.Ordinal);
    }
}
