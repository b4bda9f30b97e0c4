using System.Text;

namespace MlcAspire.Tests.EndToEnd.Reliability;

/// <summary>
/// A seeded generator of malformed and hostile <c>/v1/completions</c> bodies: broken JSON, wrong types, values
/// out of range or absurdly large, forged debug configs and MicroServing fields, and oversized bodies.
/// Every body it makes is one a router must answer with a 4xx (or, for the forged fields, serve as if the
/// fields were absent), never a 5xx.
/// </summary>
internal sealed class HostileRequests(int seed)
{
    private readonly Random _random = new(seed);

    /// <summary>A short, valid body that the generator mutates.</summary>
    private const string ValidBody = """{"prompt":"hello world","max_tokens":2,"temperature":0}""";

    public (string Kind, byte[] Body) Next()
    {
        var kind = _random.Next(7);
        return kind switch
        {
            0 => ("broken-json", Encoding.UTF8.GetBytes(BreakJson())),
            1 => ("wrong-type", Encoding.UTF8.GetBytes(WrongType())),
            2 => ("out-of-range", Encoding.UTF8.GetBytes(OutOfRange())),
            3 => ("forged-debug", Encoding.UTF8.GetBytes(ForgedDebug())),
            4 => ("oversized", Oversized()),
            5 => ("random-bytes", RandomBytes()),
            _ => ("bad-prompt", Encoding.UTF8.GetBytes(BadPrompt())),
        };
    }

    private string BreakJson()
    {
        var cut = _random.Next(ValidBody.Length);
        return _random.Next(4) switch
        {
            0 => ValidBody[..cut],
            1 => ValidBody.Insert(cut, Pick("{", "}", "[", "\"", ",", ":", "\\", "\u0000", "NaN")),
            2 => ValidBody.Remove(cut, 1),
            _ => Pick("", "null", "[]", "42", "\"prompt\"", "{", "{}", "{\"prompt\":}", "{'prompt':'x'}", "{\"prompt\":\"x\",}"),
        };
    }

    private string WrongType()
    {
        var field = Pick("prompt", "max_tokens", "temperature", "top_p", "n", "stream", "stop", "logprobs", "seed",
            "echo", "stream_options", "response_format", "logit_bias", "frequency_penalty", "presence_penalty",
            "best_of", "suffix", "user", "model");
        var value = Pick("{}", "[]", "\"text\"", "true", "1.5", "-1", "null", "[1,\"a\"]", "{\"a\":1}", "[[1]]");
        return field == "prompt"
            ? $$"""{"prompt":{{value}},"max_tokens":2}"""
            : $$"""{"prompt":"hello","max_tokens":2,"{{field}}":{{value}}}""";
    }

    private string OutOfRange()
    {
        var (field, value) = _random.Next(12) switch
        {
            0 => ("max_tokens", Pick("-5", "0", "99999999999", "1e400", "2147483648")),
            1 => ("temperature", Pick("-1", "3", "1e308", "-0.0001")),
            2 => ("top_p", Pick("0", "-0.5", "1.5", "7")),
            3 => ("n", Pick("0", "-1", "100000", "4294967296")),
            4 => ("logprobs", Pick("-1", "6", "1000")),
            5 => ("frequency_penalty", Pick("-2.5", "2.01", "1e9")),
            6 => ("presence_penalty", Pick("-3", "9")),
            7 => ("best_of", Pick("0", "2", "50")),
            8 => ("seed", Pick("-99999999999999999999999", "1e30", "18446744073709551616")),
            9 => ("logit_bias", Pick("{\"1\":101}", "{\"x\":1}", "{\"-1\":1}", "{\"1\":-1e9}")),
            10 => ("stop", "[" + string.Join(',', Enumerable.Repeat("\"s\"", 1000)) + "]"),
            _ => ("stream_options", Pick("{}", "{\"include_usage\":\"yes\"}")),
        };
        return $$"""{"prompt":"hello","max_tokens":2,"{{field}}":{{value}}}""";
    }

    /// <summary>Fields only the router may set: the engine must never see them from a client.</summary>
    private string ForgedDebug() => _random.Next(5) switch
    {
        0 => """{"prompt":"hello","max_tokens":2,"debug_config":{"ignore_eos":true}}""",
        1 => """{"prompt":"hello","max_tokens":2,"debug_config":{"special_request":"query_engine_metrics"}}""",
        2 => """{"prompt":"hello","max_tokens":2,"debug_config":{"disagg_config":{"kind":"remote_send","kv_append_metadata":"AAAAAAAAAAA=","kv_window_begin":0,"kv_window_end":1,"dst_group_offset":7}}}""",
        3 => """{"prompt":"hello","max_tokens":2,"end":-1,"begin":0,"kv_addr_info":"AAAA","recv_rank":3}""",
        _ => """{"prompt":"hello","max_tokens":2,"debug_config":"not an object","user":"cmpl-forged"}""",
    };

    private byte[] Oversized()
    {
        // Well past any sensible request limit: a huge prompt string or a huge token list.
        var size = _random.Next(2) == 0 ? 12 * 1024 * 1024 : 3 * 1024 * 1024;
        var builder = new StringBuilder(size + 64).Append("{\"prompt\":");
        if (_random.Next(2) == 0)
        {
            builder.Append('"').Append('a', size).Append('"');
        }
        else
        {
            builder.Append('[');
            for (var i = 0; builder.Length < size; i++)
            {
                builder.Append(i % 1000).Append(',');
            }
            builder.Append("1]");
        }
        return Encoding.UTF8.GetBytes(builder.Append(",\"max_tokens\":2}").ToString());
    }

    private byte[] RandomBytes()
    {
        var bytes = new byte[_random.Next(1, 512)];
        _random.NextBytes(bytes);
        return bytes;
    }

    private string BadPrompt() => _random.Next(6) switch
    {
        0 => """{"max_tokens":2}""",
        1 => """{"prompt":[],"max_tokens":2}""",
        2 => """{"prompt":[-1,5],"max_tokens":2}""",
        3 => """{"prompt":[99999999],"max_tokens":2}""",
        4 => """{"prompt":["a","b"],"max_tokens":2}""",
        _ => """{"prompt":"\ud800 lone surrogate","max_tokens":2}""",
    };

    private string Pick(params string[] options) => options[_random.Next(options.Length)];
}
