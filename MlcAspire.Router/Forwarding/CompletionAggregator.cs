using System.Text;

namespace MlcAspire.Router.Forwarding;

/// <summary>
/// Joins an engine stream into one non-streaming <c>text_completion</c>: text joined per choice, the first
/// non-null finish_reason, logprobs concatenated (MLC overwrites them, W9), and the engine's usage.
/// </summary>
public sealed class CompletionAggregator(string id, string? model)
{
    private readonly SortedDictionary<int, Choice> _choices = [];
    private JsonNode? _usage;
    private long? _created;

    public void Add(JsonObject chunk)
    {
        _created ??= chunk["created"] is JsonValue created && created.TryGetValue<long>(out var value) ? value : null;
        if (chunk["usage"] is JsonObject usage)
        {
            _usage = usage.DeepClone();
        }

        if (chunk["choices"] is not JsonArray choices)
        {
            return;
        }

        foreach (var node in choices.OfType<JsonObject>())
        {
            var index = node["index"]?.GetValue<int>() ?? 0;
            if (!_choices.TryGetValue(index, out var choice))
            {
                _choices[index] = choice = new Choice();
            }

            choice.Text.Append(node["text"]?.GetValue<string>());
            choice.FinishReason ??= node["finish_reason"]?.GetValue<string>();
            if (node["logprobs"] is JsonObject logprobs)
            {
                choice.Logprobs ??= new JsonObject { ["text_offset"] = null, ["token_logprobs"] = new JsonArray(), ["tokens"] = new JsonArray(), ["top_logprobs"] = new JsonArray() };
                foreach (var key in (string[])["token_logprobs", "tokens", "top_logprobs"])
                {
                    if (logprobs[key] is JsonArray items)
                    {
                        foreach (var item in items)
                        {
                            ((JsonArray)choice.Logprobs[key]!).Add(item?.DeepClone());
                        }
                    }
                }
            }
        }
    }

    public JsonObject Build(TimeProvider timeProvider) => new()
    {
        ["id"] = id,
        ["choices"] = new JsonArray([.. _choices.Select(pair => (JsonNode)new JsonObject
        {
            ["finish_reason"] = pair.Value.FinishReason,
            ["index"] = pair.Key,
            ["logprobs"] = pair.Value.Logprobs,
            ["text"] = pair.Value.Text.ToString(),
        })]),
        ["created"] = _created ?? timeProvider.GetUtcNow().ToUnixTimeSeconds(),
        ["model"] = model,
        ["object"] = "text_completion",
        ["usage"] = _usage,
    };

    private sealed class Choice
    {
        public StringBuilder Text { get; } = new();

        public string? FinishReason { get; set; }

        public JsonObject? Logprobs { get; set; }
    }
}
