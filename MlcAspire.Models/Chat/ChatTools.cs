using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MlcAspire.Models.Chat;

/// <summary>
/// MLC's function-calling switch (<c>ChatCompletionRequest.check_function_call_usage</c>): whether a request's
/// <c>tools</c> and <c>tool_choice</c> turn it on, and the function string that fills the template's
/// <c>{function_string}</c> placeholder.
/// </summary>
public static class ChatTools
{
    /// <summary>Function calling is off (null string) without tools or with <c>tool_choice: "none"</c>.</summary>
    public static (string? FunctionString, ChatRequestError? Error) Resolve(JsonElement tools, JsonElement toolChoice)
    {
        if (tools.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null
            || (toolChoice.ValueKind == JsonValueKind.String && toolChoice.GetString() == "none"))
        {
            return (null, null);
        }

        if (tools.ValueKind != JsonValueKind.Array)
        {
            return Fail("'tools' must be a list of tools.", "tools");
        }

        var functions = new List<JsonElement>();
        foreach (var tool in tools.EnumerateArray())
        {
            if (tool.ValueKind != JsonValueKind.Object || !tool.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
                || !tool.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object
                || !function.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
            {
                return Fail("Each tool must be {\"type\": \"function\", \"function\": {\"name\": …, \"parameters\": …}}.", "tools");
            }

            if (type.GetString() != "function")
            {
                return Fail("Only 'function' tool type is supported", "tools");
            }

            functions.Add(function);
        }

        switch (toolChoice.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                break;
            case JsonValueKind.String when toolChoice.GetString() == "auto":
                break;
            case JsonValueKind.String:
                return Fail($"Invalid tool_choice value: {toolChoice.GetString()}", "tool_choice");
            case JsonValueKind.Object:
                return ResolveNamed(functions, toolChoice);
            default:
                return Fail("'tool_choice' must be \"none\", \"auto\" or a function choice.", "tool_choice");
        }

        // MLC: json.dumps of the functions' dumps, with Python's separators and ASCII escapes.
        var list = new StringBuilder("[");
        for (var i = 0; i < functions.Count; i++)
        {
            list.Append(i == 0 ? "" : ", ");
            WritePython(list, FunctionFields(functions[i]));
        }

        return (list.Append(']').ToString(), null);
    }

    private static (string?, ChatRequestError?) ResolveNamed(List<JsonElement> functions, JsonElement toolChoice)
    {
        if (!toolChoice.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "function")
        {
            return Fail("Only 'function' tool choice is supported", "tool_choice");
        }

        if (!toolChoice.TryGetProperty("function", out var chosen) || chosen.ValueKind != JsonValueKind.Object
            || !chosen.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
        {
            return Fail("'tool_choice.function.name' is required.", "tool_choice");
        }

        if (chosen.EnumerateObject().Count() > 1)
        {
            return Fail("Only one tool is supported when tool_choice is specified", "tool_choice");
        }

        foreach (var function in functions)
        {
            if (function.GetProperty("name").GetString() == name.GetString())
            {
                // MLC: the chosen function's model_dump_json, compact.
                var fields = FunctionFields(function);
                return ("{" + string.Join(",", fields.Select(f => $"{JsonSerializer.Serialize(f.Key)}:{f.Value}")) + "}", null);
            }
        }

        return Fail($"The tool_choice function {name.GetString()} is not found in the tools list", "tool_choice");
    }

    /// <summary>MLC's <c>ChatFunction</c> fields in its order: description (null when absent), name, parameters.</summary>
    private static List<KeyValuePair<string, string>> FunctionFields(JsonElement function) =>
    [
        new("description", function.TryGetProperty("description", out var d) ? d.GetRawText() : "null"),
        new("name", function.GetProperty("name").GetRawText()),
        new("parameters", function.TryGetProperty("parameters", out var p) ? p.GetRawText() : "{}"),
    ];

    private static void WritePython(StringBuilder output, List<KeyValuePair<string, string>> fields)
    {
        output.Append('{');
        for (var i = 0; i < fields.Count; i++)
        {
            output.Append(i == 0 ? "" : ", ");
            WritePythonString(output, fields[i].Key);
            output.Append(": ");
            using var value = JsonDocument.Parse(fields[i].Value);
            WritePython(output, value.RootElement);
        }

        output.Append('}');
    }

    private static void WritePython(StringBuilder output, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                output.Append('{');
                var first = true;
                foreach (var property in value.EnumerateObject())
                {
                    output.Append(first ? "" : ", ");
                    first = false;
                    WritePythonString(output, property.Name);
                    output.Append(": ");
                    WritePython(output, property.Value);
                }

                output.Append('}');
                break;
            case JsonValueKind.Array:
                output.Append('[');
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    output.Append(index++ == 0 ? "" : ", ");
                    WritePython(output, item);
                }

                output.Append(']');
                break;
            case JsonValueKind.String:
                WritePythonString(output, value.GetString()!);
                break;
            default:
                output.Append(value.GetRawText());
                break;
        }
    }

    /// <summary>A JSON string as Python's <c>json.dumps</c> writes it: every non-ASCII character escaped.</summary>
    private static void WritePythonString(StringBuilder output, string text)
    {
        output.Append('"');
        foreach (var c in text)
        {
            output.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\b' => "\\b",
                '\f' => "\\f",
                < ' ' or > '~' => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }

        output.Append('"');
    }

    private static (string?, ChatRequestError?) Fail(string message, string param) => (null, new ChatRequestError(message, param, IsSchemaError: false));
}
