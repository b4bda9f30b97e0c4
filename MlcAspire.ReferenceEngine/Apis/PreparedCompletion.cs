using MlcAspire.ReferenceEngine.Serving;

namespace MlcAspire.ReferenceEngine.Apis;

/// <summary>A validated request: its token ids, settings, and the prompt text (what <c>echo</c> returns).</summary>
internal sealed record PreparedCompletion(int[] Prompt, GenerationSettings Settings, string PromptText)
{
    /// <summary>A chat request whose tools turned MLC's function calling on: its choices finish with <c>tool_calls</c>.</summary>
    public bool UsesFunctionCalling { get; init; }
}
