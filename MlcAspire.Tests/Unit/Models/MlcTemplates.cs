using MlcAspire.Models.Chat;

namespace MlcAspire.Tests.Unit.Models;

/// <summary>Conversation templates of real models, with the values MLC's conversation-template registry gives them.</summary>
internal static class MlcTemplates
{
    private static readonly Dictionary<string, ConversationTemplate> Templates = new()
    {
        ["llama-3"] = new()
        {
            Name = "llama-3",
            SystemTemplate = "<|start_header_id|>system<|end_header_id|>\n\n{system_message}<|eot_id|>",
            SystemMessage = "You are a helpful, respectful and honest assistant.",
            Roles = new Dictionary<string, string> { ["user"] = "<|start_header_id|>user", ["assistant"] = "<|start_header_id|>assistant" },
            Seps = ["<|eot_id|>"],
            RoleContentSep = "<|end_header_id|>\n\n",
            RoleEmptySep = "<|end_header_id|>\n\n",
            StopStrings = ["<|end_of_text|>", "<|eot_id|>"],
            StopTokenIds = [128001, 128009],
            SystemPrefixTokenIds = [128000],
        },
        ["chatml"] = new()
        {
            Name = "chatml",
            SystemTemplate = "<|im_start|>system\n{system_message}<|im_end|>\n",
            SystemMessage = "A conversation between a user and an LLM-based AI assistant. The assistant gives helpful and honest answers.",
            Roles = new Dictionary<string, string> { ["user"] = "<|im_start|>user", ["assistant"] = "<|im_start|>assistant" },
            Seps = ["<|im_end|>\n"],
            RoleContentSep = "\n",
            RoleEmptySep = "\n",
            StopStrings = ["<|im_end|>"],
            StopTokenIds = [2],
        },
        ["qwen2"] = new()
        {
            Name = "qwen2",
            SystemTemplate = "<|im_start|>system\n{system_message}<|im_end|>\n",
            SystemMessage = "You are a helpful assistant.",
            Roles = new Dictionary<string, string> { ["user"] = "<|im_start|>user", ["assistant"] = "<|im_start|>assistant" },
            Seps = ["<|im_end|>\n"],
            RoleContentSep = "\n",
            RoleEmptySep = "\n",
            StopStrings = ["<|endoftext|>", "<|im_end|>"],
            StopTokenIds = [151643, 151645],
        },
        ["mistral_default"] = new()
        {
            Name = "mistral_default",
            SystemTemplate = "[INST] {system_message}",
            SystemMessage = "Always assist with care, respect, and truth. Respond with utmost utility yet securely. Avoid harmful, unethical, prejudiced, or negative content. Ensure replies promote fairness and positivity.",
            Roles = new Dictionary<string, string> { ["user"] = "[INST]", ["assistant"] = "[/INST]", ["tool"] = "[INST]" },
            Seps = [" "],
            RoleContentSep = " ",
            RoleEmptySep = "",
            StopStrings = ["</s>"],
            StopTokenIds = [2],
            SystemPrefixTokenIds = [1],
            AddRoleAfterSystemMessage = false,
        },
        ["phi-3"] = new()
        {
            Name = "phi-3",
            SystemTemplate = "<|system|>\n{system_message}",
            SystemMessage = "You are a helpful digital assistant. Please provide safe, ethical and accurate information to the user.",
            Roles = new Dictionary<string, string> { ["user"] = "<|user|>", ["assistant"] = "<|assistant|>" },
            Seps = ["<|end|>\n"],
            RoleContentSep = "\n",
            RoleEmptySep = "\n",
            SystemPrefixTokenIds = [1],
            StopStrings = ["<|endoftext|>"],
            StopTokenIds = [2, 32000, 32001, 32007],
        },
        ["gemma_instruction"] = new()
        {
            Name = "gemma_instruction",
            SystemTemplate = "{system_message}",
            SystemMessage = "",
            Roles = new Dictionary<string, string> { ["user"] = "<start_of_turn>user", ["assistant"] = "<start_of_turn>model" },
            Seps = ["<end_of_turn>\n"],
            RoleContentSep = "\n",
            RoleEmptySep = "\n",
            StopStrings = ["<end_of_turn>"],
            StopTokenIds = [1, 107],
            SystemPrefixTokenIds = [2],
        },
        ["llama-2"] = new()
        {
            Name = "llama-2",
            SystemTemplate = "[INST] <<SYS>>\n{system_message}\n<</SYS>>\n\n",
            SystemMessage = "You are a helpful, respectful and honest assistant.",
            Roles = new Dictionary<string, string> { ["user"] = "<s>[INST]", ["assistant"] = "[/INST]", ["tool"] = "[INST]" },
            Seps = [" ", " </s>"],
            RoleContentSep = " ",
            RoleEmptySep = " ",
            StopStrings = ["[INST]"],
            StopTokenIds = [2],
            SystemPrefixTokenIds = [1],
            AddRoleAfterSystemMessage = false,
        },
        ["gorilla"] = new()
        {
            Name = "gorilla",
            SystemTemplate = "{system_message}",
            SystemMessage = "A chat between a curious user and an artificial intelligence assistant. The assistant provides helpful, detailed, and polite responses to the user's inquiries.",
            RoleTemplates = new Dictionary<string, string>
            {
                ["user"] = "<<question>> {user_message} <<function>> {function_string}",
                ["assistant"] = "{assistant_message}",
                ["tool"] = "{tool_message}",
            },
            Roles = new Dictionary<string, string> { ["user"] = "USER", ["assistant"] = "ASSISTANT", ["tool"] = "USER" },
            Seps = ["\n", "</s>"],
            RoleContentSep = ": ",
            RoleEmptySep = ":",
            StopStrings = ["</s>"],
            StopTokenIds = [2],
            SystemPrefixTokenIds = [1],
        },
    };

    public static ConversationTemplate Get(string name) => Templates[name];
}
