using System.Text.Json;

namespace MlcAspire.Bench.Load;

/// <summary>Writes a <c>CompletionRequest</c> body (mlc-protocol.md §2.2), optionally with MicroServing fields (§4).</summary>
internal static class CompletionBody
{
    public static byte[] Write(string model, int[] prompt, int maxTokens, bool stream, Action<Utf8JsonWriter>? extra)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("model", model);
            json.WriteStartArray("prompt");
            foreach (var token in prompt)
            {
                json.WriteNumberValue(token);
            }

            json.WriteEndArray();
            json.WriteNumber("max_tokens", maxTokens);
            json.WriteNumber("temperature", 0);
            json.WriteBoolean("stream", stream);
            if (stream)
            {
                json.WriteStartObject("stream_options");
                json.WriteBoolean("include_usage", true);
                json.WriteEndObject();
            }

            extra?.Invoke(json);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
