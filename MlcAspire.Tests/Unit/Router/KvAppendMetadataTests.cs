using MlcAspire.Router.Scheduling;

namespace MlcAspire.Tests.Unit.Router;

[Trait("Category", "Unit")]
public sealed class KvAppendMetadataTests
{
    [Theory]
    [InlineData("DAAAAAAAAABbMSw0MDk2LDQ5OV0=", 499, 1)]
    [InlineData("FAAAAAAAAABbMiw0MDk2LDQ4MCw4MTkyLDE5XQ==", 499, 2)]
    [InlineData("CgAAAAAAAABbMSw0MDk2LDRd", 4, 1)]
    public void Decode_ReadsTheSpecExamples(string value, int slots, int segments)
    {
        var (metadata, error) = KvAppendMetadata.Decode(value);

        Assert.Null(error);
        Assert.Equal(slots, metadata!.SlotCount);
        Assert.Equal(segments, metadata.Segments.Count);
        Assert.Equal(4096, metadata.Segments[0].Slot);
    }

    [Fact]
    public void Decode_ReadsAZeroLengthWindow()
    {
        var value = Convert.ToBase64String([3, 0, 0, 0, 0, 0, 0, 0, .. "[0]"u8]);

        var (metadata, error) = KvAppendMetadata.Decode(value);

        Assert.Null(error);
        Assert.Equal(0, metadata!.SlotCount);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("AAAA")]
    [InlineData("BQAAAAAAAABbMSw0MDk2LDQ5OV0=")]
    [InlineData("AwAAAAAAAABbM10=")]
    public void Decode_RejectsValuesNotInTheEnginesEncoding(string value)
    {
        var (metadata, error) = KvAppendMetadata.Decode(value);

        Assert.Null(metadata);
        Assert.NotNull(error);
    }
}
