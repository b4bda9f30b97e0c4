using System.Text.Json;
using MlcAspire.Models;
using MlcAspire.Models.Chat;

namespace MlcAspire.Tests.Unit.Models;

/// <summary>
/// Renders conversations with the templates MLC registers for real models (values from MLC's conversation-template
/// registry) and compares with the prompts MLC's <c>Conversation.as_prompt</c> produces for the same messages.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ConversationTemplateTests
{
    private static readonly ChatMessage[] OneTurn = [new(ChatMessage.User, "Hi")];

    private static readonly ChatMessage[] Dialogue =
    [
        new(ChatMessage.System, "Be brief."),
        new(ChatMessage.User, "Hi"),
        new(ChatMessage.Assistant, "Hello!"),
        new(ChatMessage.User, "How are you?"),
    ];

    public static TheoryData<string, string, string> Prompts => new()
    {
        { "llama-3", nameof(OneTurn),
            "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful, respectful and honest assistant.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n" },
        { "llama-3", nameof(Dialogue),
            "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHow are you?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n" },
        { "chatml", nameof(OneTurn),
            "<|im_start|>system\nA conversation between a user and an LLM-based AI assistant. The assistant gives helpful and honest answers.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n" },
        { "chatml", nameof(Dialogue),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nHow are you?<|im_end|>\n<|im_start|>assistant\n" },
        { "qwen2", nameof(OneTurn),
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n" },
        { "qwen2", nameof(Dialogue),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nHow are you?<|im_end|>\n<|im_start|>assistant\n" },
        // MLC writes the first user message straight after the system text, with no role and no space.
        { "mistral_default", nameof(OneTurn),
            "[INST] Always assist with care, respect, and truth. Respond with utmost utility yet securely. Avoid harmful, unethical, prejudiced, or negative content. Ensure replies promote fairness and positivity.Hi [/INST]" },
        { "mistral_default", nameof(Dialogue), "[INST] Be brief.Hi [/INST] Hello! [INST] How are you? [/INST]" },
        // Phi-3's system template has no separator after the system message.
        { "phi-3", nameof(OneTurn),
            "<|system|>\nYou are a helpful digital assistant. Please provide safe, ethical and accurate information to the user.<|user|>\nHi<|end|>\n<|assistant|>\n" },
        { "phi-3", nameof(Dialogue),
            "<|system|>\nBe brief.<|user|>\nHi<|end|>\n<|assistant|>\nHello!<|end|>\n<|user|>\nHow are you?<|end|>\n<|assistant|>\n" },
        { "gemma_instruction", nameof(OneTurn), "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n" },
        { "gemma_instruction", nameof(Dialogue),
            "Be brief.<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n<start_of_turn>user\nHow are you?<end_of_turn>\n<start_of_turn>model\n" },
        { "llama-2", nameof(OneTurn), "[INST] <<SYS>>\nYou are a helpful, respectful and honest assistant.\n<</SYS>>\n\nHi [/INST] " },
        { "llama-2", nameof(Dialogue), "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello! </s><s>[INST] How are you? [/INST] " },
    };

    [Theory]
    [MemberData(nameof(Prompts))]
    public void Render_RealModelTemplate_MatchesMlcPrompt(string template, string conversation, string expected)
    {
        var messages = conversation == nameof(OneTurn) ? OneTurn : Dialogue;

        Assert.Equal(expected, MlcTemplates.Get(template).Render(messages));
    }

    [Fact]
    public void Render_ListContent_ConcatenatesTextParts()
    {
        var prompt = MlcTemplates.Get("chatml").Render([new(ChatMessage.User, ["Look: ", "twice"])]);

        Assert.Equal(
            "<|im_start|>system\nA conversation between a user and an LLM-based AI assistant. The assistant gives helpful and honest answers.<|im_end|>\n<|im_start|>user\nLook: twice<|im_end|>\n<|im_start|>assistant\n",
            prompt);
    }

    [Fact]
    public void Render_MessageWithoutContent_IsAnOpenTurnWithoutSeparator()
    {
        var prompt = MlcTemplates.Get("llama-3").Render(
            [new(ChatMessage.User, "Hi"), new(ChatMessage.Assistant, (IReadOnlyList<string>?)null), new(ChatMessage.User, "Again")]);

        Assert.Equal(
            "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful, respectful and honest assistant.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n<|start_header_id|>user<|end_header_id|>\n\nAgain<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            prompt);
    }

    [Fact]
    public void Render_FunctionPlaceholders_LastGetsTheFunctionsEarlierOnesAreEmptied()
    {
        var prompt = MlcTemplates.Get("gorilla").Render([new(ChatMessage.User, "Weather?"), new(ChatMessage.User, "Now?")], """[{"name": "f"}]""");

        Assert.Equal(
            "A chat between a curious user and an artificial intelligence assistant. The assistant provides helpful, detailed, and polite responses to the user's inquiries.USER: <<question>> Weather? <<function>> \nUSER: <<question>> Now? <<function>> [{\"name\": \"f\"}]\nASSISTANT:",
            prompt);
    }

    [Fact]
    public void Render_RoleTheTemplateLacks_NamesTheRole()
    {
        var error = Assert.Throws<ArgumentException>(() => MlcTemplates.Get("chatml").Render([new(ChatMessage.Tool, "42")]));

        Assert.Contains("\"tool\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tokenize_PrependsSystemPrefixTokenIds()
    {
        var ids = MlcTemplates.Get("llama-3").Tokenize("x", _ => [7, 8]);

        Assert.Equal([128000, 7, 8], ids);
    }

    [Fact]
    public void ReferenceModel_ChatmlTemplate_SpecialTokensAreSingleIds()
    {
        var model = MlcModel.Load(RepositoryPaths.ReferenceTinyModel);
        var template = model.Config.ConversationTemplate!;

        var ids = template.Tokenize(template.Render(OneTurn), text => model.Tokenizer.EncodeToIds(text));

        Assert.Equal("chatml", template.Name);
        Assert.Equal(1024, ids[0]);
        Assert.Equal([1022, 1025], template.StopTokenIds);
        Assert.Equal([1025], model.Tokenizer.EncodeToIds("<|im_end|>"));
        Assert.Equal(template.Render(OneTurn), model.Tokenizer.Decode(ids));
    }

    [Fact]
    public void ConfigJson_FullMlcDump_ReadsEveryField()
    {
        const string json = """
            {"name":"phi-3","system_template":"<|system|>\n{system_message}","system_message":"S","system_prefix_token_ids":[1],
             "add_role_after_system_message":true,"roles":{"user":"<|user|>","assistant":"<|assistant|>"},
             "role_templates":{"user":"{user_message}","assistant":"{assistant_message}","tool":"{tool_message}"},"messages":[],
             "seps":["<|end|>\n"],"role_content_sep":"\n","role_empty_sep":"\n","stop_str":["<|endoftext|>"],
             "stop_token_ids":[2,32000,32001,32007],"function_string":"","use_function_calling":false}
            """;

        var template = JsonSerializer.Deserialize<ConversationTemplate>(json)!;

        Assert.Equal("<|system|>\nS<|user|>\nHi<|end|>\n<|assistant|>\n", template.Render(OneTurn));
        Assert.Equal([2, 32000, 32001, 32007], template.StopTokenIds);
        Assert.Equal([1], template.SystemPrefixTokenIds);
    }
}
