namespace MlcAspire.Models.Chat;

/// <summary>Why a chat request cannot be rendered; <see cref="IsSchemaError"/> when the JSON has the wrong shape or type.</summary>
/// <param name="Param">The request field at fault, as OpenAI errors name it (<c>messages[2].role</c>).</param>
public sealed record ChatRequestError(string Message, string Param, bool IsSchemaError);
