using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using MlcAspire.Models;
using MlcAspire.Models.Chat;
using MlcAspire.ReferenceEngine.Cli;
using MlcAspire.ReferenceEngine.Protocol;
using MlcAspire.ReferenceEngine.Serving;

namespace MlcAspire.ReferenceEngine.Apis;

/// <summary>
/// Checks a completion or chat request against the model, as MLC's request processing does (mlc-protocol.md §2.2), and resolves
/// its prompt token ids and sampling settings. The conversation template's stop strings and stop token ids join every
/// request's, completions' too (MLC's <c>get_generation_config</c> adds them to both).
/// </summary>
internal sealed class RequestValidator(EngineOptions options, MlcModel model, EngineLimits limits)
{
    private readonly ConversationTemplate? _template = model.Config.ConversationTemplate;

    public bool DebugEnabled => options.EnableDebug;

    public (PreparedCompletion? Prepared, IResult? Error) Prepare(CompletionRequest request)
    {
        if (request.BestOf is { } bestOf && bestOf != 1)
        {
            return (null, EngineResults.BadRequest("Request fields \"best_of\" are not supported right now."));
        }

        var invalid = CheckSampling(request);
        CheckRange(invalid, "logprobs", request.Logprobs, 0, 5);
        var stops = ReadStops(request.Stop, invalid);
        RequestLimits.Check(request, stops, invalid);
        if (invalid.Count == 0 && RequestLimits.CheckPromptLength(request.Prompt, model, limits.MaxSequenceLength) is { } tooLongText)
        {
            return (null, tooLongText);
        }

        var prompt = ReadPrompt(request.Prompt, invalid);
        if (invalid.Count > 0)
        {
            return (null, EngineResults.Validation(invalid));
        }

        if (prompt is null || prompt.Length == 0 || prompt.Any(token => token < 0 || token >= limits.VocabSize))
        {
            return (null, EngineResults.BadRequest("Invalid request prompt"));
        }

        if (CheckLength(prompt) is { } tooLong)
        {
            return (null, tooLong);
        }

        var promptText = request.Prompt.ValueKind == JsonValueKind.String ? request.Prompt.GetString()! : model.Tokenizer.Decode(prompt) ?? "";
        return (new PreparedCompletion(prompt, Settings(request, stops, request.Logprobs), promptText), null);
    }

    public (PreparedCompletion? Prepared, IResult? Error) Prepare(ChatCompletionRequest request)
    {
        var invalid = CheckSampling(request);
        CheckRange(invalid, "top_logprobs", request.TopLogprobs, 0, 5);
        if (!request.Logprobs && request.TopLogprobs > 0)
        {
            invalid.Add(EngineResults.Invalid("top_logprobs", "value_error", "Value error, \"logprobs\" must be True to support \"top_logprobs\"", null));
        }

        if (request.StreamOptions is not null && !request.Stream)
        {
            invalid.Add(EngineResults.Invalid("stream_options", "value_error", "Value error, stream must be set to True when stream_options is present", null));
        }

        var stops = ReadStops(request.Stop, invalid);
        RequestLimits.Check(request, stops, invalid);
        var (messages, messageError) = ChatMessageReader.Read(request.Messages);
        if (messageError is { IsSchemaError: true })
        {
            invalid.Add(new ValidationErrorDetail("value_error", new JsonArray("body", "messages"), messageError.Message, null));
        }

        if (invalid.Count > 0)
        {
            return (null, EngineResults.Validation(invalid));
        }

        var (functionString, toolError) = ChatTools.Resolve(request.Tools, request.ToolChoice);
        if ((messageError ?? toolError) is { } error)
        {
            return (null, EngineResults.BadRequest(error.Message));
        }

        if (_template is null)
        {
            return (null, EngineResults.BadRequest("The model's mlc-chat-config.json has no conv_template, so it cannot serve chat."));
        }

        string text;
        try
        {
            text = _template.Render(messages!, functionString);
        }
        catch (ArgumentException ex)
        {
            return (null, EngineResults.BadRequest(ex.Message));
        }

        if (RequestLimits.CheckPromptLength(JsonSerializer.SerializeToElement(text, EngineJson.Context.String), model, limits.MaxSequenceLength) is { } tooLongText)
        {
            return (null, tooLongText);
        }

        var prompt = _template.Tokenize(text, prompt => model.Tokenizer.EncodeToIds(prompt));
        if (CheckLength(prompt) is { } tooLong)
        {
            return (null, tooLong);
        }

        var settings = Settings(request, stops, request.Logprobs ? request.TopLogprobs : null);
        return (new PreparedCompletion(prompt, settings, text) { UsesFunctionCalling = functionString is not null }, null);
    }

    private IResult? CheckLength(int[] prompt) => prompt.Length > limits.MaxSequenceLength
        ? EngineResults.BadRequest($"Request prompt has {prompt.Length} tokens in total, larger than the model input length limit {limits.MaxSequenceLength}.")
        : null;

    private List<ValidationErrorDetail> CheckSampling(SamplingRequest request)
    {
        var invalid = new List<ValidationErrorDetail>();
        CheckRange(invalid, "frequency_penalty", request.FrequencyPenalty, -2, 2);
        CheckRange(invalid, "presence_penalty", request.PresencePenalty, -2, 2);
        CheckRange(invalid, "n", request.N, 1, limits.MaxNumSequence);
        CheckRange(invalid, "max_tokens", request.MaxTokens, 1, int.MaxValue);
        CheckRange(invalid, "temperature", request.Temperature, 0, 2);
        CheckRange(invalid, "top_p", request.TopP, 1e-9, 1);
        if (request.LogitBias?.Values.Any(bias => Math.Abs(bias) > 100) == true)
        {
            invalid.Add(EngineResults.Invalid("logit_bias", "value_error", "Value error, logit bias value out of range [-100, 100]", null));
        }

        return invalid;
    }

    private GenerationSettings Settings(SamplingRequest request, IReadOnlyList<string> stops, int? topLogprobs)
    {
        var debug = options.EnableDebug ? request.DebugConfig : null;
        return new GenerationSettings(
            request.ChoiceCount,
            request.Temperature ?? model.Config.Temperature,
            request.TopP ?? model.Config.TopP,
            request.Seed is { } seed ? unchecked((ulong)seed) : BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(sizeof(ulong))),
            request.MaxTokens ?? -1,
            [.. stops, .. (_template?.StopStrings ?? []).Except(stops)],
            debug?.IgnoreEos ?? false,
            topLogprobs)
        {
            StopTokenIds = _template?.StopTokenIds ?? [],
        };
    }

    private int[]? ReadPrompt(JsonElement prompt, List<ValidationErrorDetail> invalid)
    {
        switch (prompt.ValueKind)
        {
            case JsonValueKind.String:
                return [.. model.Tokenizer.EncodeToIds(prompt.GetString()!)];
            case JsonValueKind.Array when prompt.EnumerateArray().All(item => item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out _)):
                return [.. prompt.EnumerateArray().Select(item => item.GetInt32())];
            default:
                invalid.Add(EngineResults.Invalid("prompt", "string_type", "Input should be a valid string or a list of integers", JsonNode.Parse(prompt.GetRawText())));
                return null;
        }
    }

    private static IReadOnlyList<string> ReadStops(JsonElement stop, List<ValidationErrorDetail> invalid)
    {
        switch (stop.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                return [];
            case JsonValueKind.String:
                return [stop.GetString()!];
            case JsonValueKind.Array when stop.EnumerateArray().All(item => item.ValueKind == JsonValueKind.String):
                return [.. stop.EnumerateArray().Select(item => item.GetString()!).Where(s => s.Length > 0)];
            default:
                invalid.Add(EngineResults.Invalid("stop", "string_type", "Input should be a valid string or a list of strings", JsonNode.Parse(stop.GetRawText())));
                return [];
        }
    }

    private static void CheckRange(List<ValidationErrorDetail> invalid, string field, double? value, double min, double max)
    {
        if (value is { } v && (v < min || v > max))
        {
            invalid.Add(EngineResults.Invalid(field, "value_error", $"Value error, {field} must be in [{min}, {max}], got {v}", JsonValue.Create(v)));
        }
    }
}
