using MlcAspire.Router.Forwarding;

namespace MlcAspire.Tests.Unit.Router;

[Trait("Category", "Unit")]
public sealed class EngineErrorBodyTests
{
    [Theory]
    [InlineData("\"{\\\"object\\\":\\\"error\\\",\\\"message\\\":\\\"Invalid request prompt\\\",\\\"code\\\":400}\"", 400, "Invalid request prompt")]
    [InlineData("""{"object":"error","message":"The request has disconnected","code":400}""", 400, "The request has disconnected")]
    [InlineData("""{"detail":"Invalid API Key"}""", 401, "Invalid API Key")]
    [InlineData("""{"detail":[{"loc":["body","n"],"msg":"bad"},{"loc":["body","top_p"],"msg":"worse"}]}""", 422, "body.n: bad; body.top_p: worse")]
    [InlineData("""{"error":{"message":"upstream said no","type":"x"}}""", 400, "upstream said no")]
    [InlineData("Internal Server Error", 500, "Internal Server Error")]
    [InlineData("", 502, "The engine answered 502 with no body.")]
    public void ReadMessage_UnderstandsEveryEngineErrorShape(string body, int status, string expected) =>
        Assert.Equal(expected, EngineErrorBody.ReadMessage(body, status));
}
