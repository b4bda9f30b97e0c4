using System.Text.Json;
using System.Text.Json.Nodes;
using MlcAspire.Models;
using MlcAspire.ReferenceEngine.Protocol;

namespace MlcAspire.ReferenceEngine.Apis;

/// <summary>
/// Bounds on what one request may ask of the engine, past MLC's own checks (MLC sets none), so that a client that
/// reaches an engine directly cannot make it work harder than the router would let it: the stop strings an engine
/// rescans on every token, the size of <c>logit_bias</c>, and a text prompt that cannot fit the context window,
/// refused before it is tokenized. Generous next to the router's defaults (docs/reliability.md, "Hostile input");
/// answered as pydantic would answer a <c>max_length</c> on the field (422) and as MLC answers a long prompt (400).
/// </summary>
internal static class RequestLimits
{
    public const int MaxStopStrings = 16;
    public const int MaxStopLength = 1024;
    public const int MaxLogitBiasEntries = 1024;

    /// <summary>Adds a 422 detail for each field over its bound.</summary>
    public static void Check(SamplingRequest request, IReadOnlyList<string> stops, List<ValidationErrorDetail> invalid)
    {
        if (stops.Count > MaxStopStrings)
        {
            invalid.Add(EngineResults.Invalid("stop", "too_long", $"List should have at most {MaxStopStrings} items after validation, not {stops.Count}", null));
        }

        if (stops.FirstOrDefault(stop => stop.Length > MaxStopLength) is { } tooLong)
        {
            invalid.Add(EngineResults.Invalid("stop", "string_too_long", $"String should have at most {MaxStopLength} characters", JsonValue.Create(tooLong.Length)));
        }

        if (request.LogitBias is { Count: > MaxLogitBiasEntries } biases)
        {
            invalid.Add(EngineResults.Invalid("logit_bias", "too_long", $"Dictionary should have at most {MaxLogitBiasEntries} items after validation, not {biases.Count}", null));
        }
    }

    /// <summary>
    /// MLC's 400 for a prompt longer than the engine takes, when a text prompt cannot fit even at the longest token's
    /// length per token: its UTF-8 length is counted, it is not tokenized.
    /// </summary>
    public static IResult? CheckPromptLength(JsonElement prompt, MlcModel model, int maxSequenceLength) =>
        prompt.ValueKind == JsonValueKind.String && model.MinimumTokenCount(prompt.GetString()) is var least && least > maxSequenceLength
            ? EngineResults.BadRequest($"Request prompt has at least {least} tokens in total, larger than the model input length limit {maxSequenceLength}.")
            : null;
}
