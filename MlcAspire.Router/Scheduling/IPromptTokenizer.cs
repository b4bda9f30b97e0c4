namespace MlcAspire.Router.Scheduling;

/// <summary>Turns a text prompt into the token ids the engines would compute, and knows the model's limits.</summary>
public interface IPromptTokenizer
{
    /// <summary>The model's context window, or null when the model directory is not available to the router.</summary>
    int? ContextWindowSize { get; }

    /// <summary>The model's conversation template, or null when the model directory has none or is not available.</summary>
    Models.Chat.ConversationTemplate? ConversationTemplate => null;

    IReadOnlyList<int> Encode(string text);

    /// <summary>The fewest tokens <paramref name="text"/> can encode to, in O(n) without encoding it; 0 when the model is not available.</summary>
    int MinimumTokenCount(string text);
}
