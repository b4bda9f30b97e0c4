namespace MlcAspire.Models.Chat;

/// <summary>One message of a chat request: its role and its text parts (a string content is one part, null content none).</summary>
public sealed record ChatMessage(string Role, IReadOnlyList<string>? Parts)
{
    public const string System = "system";
    public const string User = "user";
    public const string Assistant = "assistant";
    public const string Tool = "tool";

    public ChatMessage(string role, string content)
        : this(role, [content])
    {
    }

    /// <summary>The parts joined, as MLC uses a system message's content.</summary>
    public string Text => string.Concat(Parts ?? []);
}
