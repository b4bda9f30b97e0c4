using System.Text;
using System.Text.Json.Serialization;

namespace MlcAspire.Models.Chat;

/// <summary>
/// MLC's conversation template (<c>conv_template</c> in <c>mlc-chat-config.json</c>): how a chat becomes the one
/// prompt string the model was tuned on, and what stops a reply. <see cref="Render"/> follows MLC's
/// <c>Conversation.as_prompt</c> rule for rule, so the router (which must know the prompt's token ids to hand KV from
/// a prefill to a decode engine) and an engine compute the same ids.
/// </summary>
public sealed record ConversationTemplate
{
    private const string SystemPlaceholder = "{system_message}";
    private const string FunctionPlaceholder = "{function_string}";

    [JsonPropertyName("name")]
    public string? Name { get; init; }

    /// <summary>The system prompt, with <c>{system_message}</c> where the system message goes.</summary>
    [JsonPropertyName("system_template")]
    public string SystemTemplate { get; init; } = SystemPlaceholder;

    /// <summary>The default system message; a request's <c>system</c> message replaces it.</summary>
    [JsonPropertyName("system_message")]
    public string SystemMessage { get; init; } = "";

    /// <summary>Token ids put before the tokenized prompt (a BOS token, typically); never text.</summary>
    [JsonPropertyName("system_prefix_token_ids")]
    public IReadOnlyList<int>? SystemPrefixTokenIds { get; init; }

    /// <summary>False for <c>[INST]</c>-style formats, where the first message follows the system prompt without its role.</summary>
    [JsonPropertyName("add_role_after_system_message")]
    public bool AddRoleAfterSystemMessage { get; init; } = true;

    /// <summary>The role names as the prompt writes them, by OpenAI role.</summary>
    [JsonPropertyName("roles")]
    public IReadOnlyDictionary<string, string> Roles { get; init; } = new Dictionary<string, string>();

    /// <summary>Per-role wrappers of the content (<c>{user_message}</c> etc.); a missing role uses the content as is.</summary>
    [JsonPropertyName("role_templates")]
    public IReadOnlyDictionary<string, string>? RoleTemplates { get; init; }

    /// <summary>One separator after every message, or two: after user (and other) messages, and after assistant ones.</summary>
    [JsonPropertyName("seps")]
    public IReadOnlyList<string> Seps { get; init; } = [""];

    [JsonPropertyName("role_content_sep")]
    public string RoleContentSep { get; init; } = "";

    /// <summary>Written after the role of the open assistant turn that ends every prompt.</summary>
    [JsonPropertyName("role_empty_sep")]
    public string RoleEmptySep { get; init; } = "";

    [JsonPropertyName("stop_str")]
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    [JsonPropertyName("stop_token_ids")]
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    /// <summary>Text that replaces the last <c>{function_string}</c> placeholder when a request has tools.</summary>
    [JsonPropertyName("function_string")]
    public string FunctionString { get; init; } = "";

    /// <summary>
    /// The prompt for <paramref name="messages"/> and an open assistant turn, as MLC's engine builds it. A leading
    /// <c>system</c> message replaces <see cref="SystemMessage"/>; every other role must be one of <see cref="Roles"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A role the template does not have; the message names it.</exception>
    public string Render(IReadOnlyList<ChatMessage> messages, string? functionString = null)
    {
        var systemMessage = SystemMessage;
        var turns = new List<ChatMessage>(messages.Count + 1);
        foreach (var message in messages)
        {
            if (message.Role == ChatMessage.System)
            {
                systemMessage = message.Text;
                continue;
            }

            turns.Add(message);
        }

        var system = SystemTemplate.Replace(SystemPlaceholder, systemMessage, StringComparison.Ordinal);
        var prompt = new StringBuilder(system);
        var afterUser = Seps[0];
        var afterAssistant = Seps.Count > 1 ? Seps[1] : Seps[0];
        for (var i = 0; i < turns.Count; i++)
        {
            var (role, parts) = (turns[i].Role, turns[i].Parts);
            if (!Roles.TryGetValue(role, out var roleName))
            {
                throw new ArgumentException($"Role \"{role}\" is not a supported role in [{string.Join(", ", Roles.Keys)}].", nameof(messages));
            }

            if (parts is null)
            {
                // A message without content is written as an open turn, with no separator (MLC's None content).
                prompt.Append(roleName).Append(RoleEmptySep);
                continue;
            }

            // As MLC: only the first turn after a non-empty system prompt may leave its role out.
            var skipRole = !AddRoleAfterSystemMessage && system.Length > 0 && i == 0;
            prompt.Append(skipRole ? "" : roleName + RoleContentSep);
            foreach (var part in parts)
            {
                prompt.Append(WrapContent(role, part));
            }

            prompt.Append(role == ChatMessage.Assistant ? afterAssistant : afterUser);
        }

        // The open turn the model completes (MLC appends ("assistant", None)).
        prompt.Append(Roles.TryGetValue(ChatMessage.Assistant, out var assistant) ? assistant : ChatMessage.Assistant).Append(RoleEmptySep);
        return ReplaceFunctionPlaceholders(prompt.ToString(), functionString ?? FunctionString);
    }

    /// <summary><see cref="SystemPrefixTokenIds"/> followed by the tokenized <paramref name="prompt"/>, as MLC tokenizes it.</summary>
    public int[] Tokenize(string prompt, Func<string, IReadOnlyList<int>> encode) =>
        [.. SystemPrefixTokenIds ?? [], .. encode(prompt)];

    private string WrapContent(string role, string content)
    {
        var template = RoleTemplates is not null && RoleTemplates.TryGetValue(role, out var wrapper) ? wrapper : $"{{{role}_message}}";
        return template.Replace($"{{{role}_message}}", content, StringComparison.Ordinal);
    }

    /// <summary>MLC fills the last placeholder with the function string and empties every earlier one.</summary>
    private static string ReplaceFunctionPlaceholders(string prompt, string functionString)
    {
        var last = prompt.LastIndexOf(FunctionPlaceholder, StringComparison.Ordinal);
        if (last < 0)
        {
            return prompt;
        }

        var head = prompt[..last].Replace(FunctionPlaceholder, "", StringComparison.Ordinal);
        var tail = prompt[(last + FunctionPlaceholder.Length)..];
        return head + functionString + tail;
    }
}
