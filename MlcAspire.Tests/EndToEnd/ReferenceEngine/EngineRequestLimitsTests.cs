using System.Net;
using System.Text.Json.Nodes;
using static MlcAspire.Tests.EndToEnd.ReferenceEngine.EngineCalls;

namespace MlcAspire.Tests.EndToEnd.ReferenceEngine;

/// <summary>
/// A client that reaches an engine directly meets the same bounds as through the router: a text prompt that cannot
/// fit is refused before it is tokenized, and stop strings and <c>logit_bias</c> are bounded (RequestLimits).
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class EngineRequestLimitsTests(EngineWireFixture fixture) : IClassFixture<EngineWireFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FourMegabytePrompt_Gets400_AtLeastItsBound_WithoutTokenizing()
    {
        var message = await BadRequestMessageAsync(new string('x', 4_000_000));

        // 4,000,000 bytes at 17 bytes a token at most: at least 235,295 tokens, counted, not tokenized.
        Assert.StartsWith("Request prompt has at least 235295 tokens in total, larger than the model input length limit", message);
    }

    [Fact]
    public async Task PromptUnderTheBound_IsTokenized_AndRefusedWithItsExactLength()
    {
        // 20,000 bytes may be as few as 1,177 tokens, so it is tokenized: "xx" is one token, 10,000 in all.
        var message = await BadRequestMessageAsync(new string('x', 20_000));

        Assert.StartsWith("Request prompt has 10000 tokens in total", message);
    }

    [Theory]
    [InlineData("stop", 16, 17, "too_long")]
    [InlineData("logit_bias", 1024, 1025, "too_long")]
    public async Task FieldOverItsBound_Gets422_AndAtItsBoundIsServed(string field, int atBound, int overBound, string type)
    {
        using var over = await PostAsync(fixture.Debug.Client, "/v1/completions", Body(field, overBound), Ct);
        var detail = JsonNode.Parse(await over.Content.ReadAsStringAsync(Ct))!["detail"]![0]!;

        Assert.Equal(HttpStatusCode.UnprocessableEntity, over.StatusCode);
        Assert.Equal(type, detail["type"]!.GetValue<string>());
        Assert.Equal(field, detail["loc"]![1]!.GetValue<string>());
        await PostOkAsync(fixture.Debug.Client, "/v1/completions", Body(field, atBound), Ct);
    }

    [Fact]
    public async Task StopStringOverItsLength_Gets422()
    {
        using var response = await PostAsync(fixture.Debug.Client, "/v1/completions",
            new JsonObject { ["prompt"] = "x", ["max_tokens"] = 1, ["stop"] = new string('s', 1025) }, Ct);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("string_too_long", await response.Content.ReadAsStringAsync(Ct));
    }

    private static JsonObject Body(string field, int entries) => new()
    {
        ["prompt"] = "x",
        ["max_tokens"] = 1,
        [field] = field == "stop"
            ? new JsonArray([.. Enumerable.Range(0, entries).Select(i => (JsonNode)$"stop-{i}")])
            : new JsonObject(Enumerable.Range(0, entries).Select(i => KeyValuePair.Create($"{i}", (JsonNode?)1))),
    };

    private async Task<string> BadRequestMessageAsync(string prompt)
    {
        using var response = await PostAsync(fixture.Debug.Client, "/v1/completions", new JsonObject { ["prompt"] = prompt, ["max_tokens"] = 1 }, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text[..Math.Min(text.Length, 300)]}");
        return JsonNode.Parse(JsonNode.Parse(text)!.GetValue<string>())!["message"]!.GetValue<string>();
    }
}
