namespace MlcAspire.Tests.Unit;

public class SmokeTests
{
    [Fact]
    public void Placeholder() => Assert.True(true);
}
