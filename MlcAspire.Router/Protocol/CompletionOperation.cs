namespace MlcAspire.Router.Protocol;

/// <summary>Which OpenAI API a client called; the <c>gen_ai.operation.name</c> of its metrics.</summary>
public enum CompletionOperation
{
    /// <summary><c>POST /v1/completions</c>.</summary>
    TextCompletion,

    /// <summary><c>POST /v1/chat/completions</c>.</summary>
    Chat,
}
