namespace MlcAspire.Router.Protocol;

/// <summary>An engine call's JSON body, written once, with what the call's span tags from it.</summary>
/// <param name="Json">The UTF-8 JSON object sent to the engine.</param>
/// <param name="PromptTokens">The prompt's length in tokens when the router knows it.</param>
/// <param name="Extra">The fields the router added for this call (<c>begin</c>, <c>end</c>, <c>recv_rank</c>…).</param>
public sealed record EngineRequestBody(ReadOnlyMemory<byte> Json, int? PromptTokens, IReadOnlyList<(string Key, JsonNode? Value)> Extra)
{
    /// <summary>A field the router added for this call, or null.</summary>
    public JsonNode? this[string key] => Extra.FirstOrDefault(field => field.Key == key).Value;
}
