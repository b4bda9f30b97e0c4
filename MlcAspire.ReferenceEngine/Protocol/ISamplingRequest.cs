using System.Text.Json;

namespace MlcAspire.ReferenceEngine.Protocol;

/// <summary>The fields MLC's completion and chat requests share, validated and resolved the same way.</summary>
internal interface ISamplingRequest
{
    string? Model { get; }

    double? FrequencyPenalty { get; }

    double? PresencePenalty { get; }

    Dictionary<string, double>? LogitBias { get; }

    int? MaxTokens { get; }

    int? N { get; }

    int ChoiceCount { get; }

    long? Seed { get; }

    JsonElement Stop { get; }

    bool Stream { get; }

    StreamOptions? StreamOptions { get; }

    double? Temperature { get; }

    double? TopP { get; }

    string? User { get; }

    DebugConfig? DebugConfig { get; }
}
