using MlcAspire.Bench.Measurement;

namespace MlcAspire.Tests.Unit.Bench;

[Trait("Category", "Unit")]
public sealed class SyscallCounterTests
{
    [Fact]
    public void Parse_PerfCsvOutput_ReadsTheSyscallCount()
    {
        string[] output =
        [
            "# started on Sun Dec  6 04:10:00 2026",
            "",
            "123456,,raw_syscalls:sys_enter,1002345,100.00,,",
        ];

        Assert.Equal(123456, SyscallCounter.Parse(output));
    }

    [Theory]
    [InlineData("<not counted>,,raw_syscalls:sys_enter,0,100.00,,")]
    [InlineData("<not supported>,,raw_syscalls:sys_enter,0,100.00,,")]
    [InlineData("12,,context-switches,1002345,100.00,,")]
    public void Parse_NoCountForTheEvent_IsNull(string line)
    {
        Assert.Null(SyscallCounter.Parse(["# started on Sun Dec  6 04:10:00 2026", line]));
    }
}
