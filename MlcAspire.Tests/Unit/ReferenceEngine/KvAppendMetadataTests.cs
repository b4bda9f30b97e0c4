extern alias ReferenceEngine;

using System.Text;
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

        Assert.Equal(slots, KvAppendMetadata.TryDecode(KvAppendMetadata.Encode(slots), slots.Length, out var error));
        Assert.Null(error);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("AQAAAAAAAABbMSw0MDk2LDQ5OV0=")]
    [InlineData("CAAAAAAAAABbMiwzMiwzXQ==")]
    public void TryDecode_Malformed_SaysWhy(string metadata)
    {
        Assert.Null(KvAppendMetadata.TryDecode(metadata, 3, out var error));
        Assert.StartsWith("kv_append_metadata", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[1,0,2000000000]")]
    [InlineData("[1,0,9223372036854775807]")]
    [InlineData("[1,-16,3]")]
    [InlineData("[1,9223372036854775806,3]")]
    [InlineData("[2,0,2,16,2]")]
    [InlineData("[2,0,3,16,0]")]
    [InlineData("[2,0,4,16,-1]")]
    [InlineData("[1,0,2]")]
    [InlineData("[4,0,1,1,1,2,1,3,1]")]
    [InlineData("[2000000000,0,3]")]
    public void TryDecode_SegmentsThatDoNotCoverTheWindow_AreRefusedBeforeExpanding(string json)
    {
        var payload = Encoding.UTF8.GetBytes(json);
        var metadata = Convert.ToBase64String([.. BitConverter.GetBytes((ulong)payload.Length), .. payload]);

        Assert.Null(KvAppendMetadata.TryDecode(metadata, 3, out var error));
        Assert.StartsWith("kv_append_metadata", error, StringComparison.Ordinal);
    }
}
