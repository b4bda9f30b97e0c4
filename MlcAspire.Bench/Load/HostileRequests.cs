using System.Text;
using System.Text.Json.Nodes;

namespace MlcAspire.Bench.Load;

/// <summary>
/// A seeded generator of malformed and hostile <c>/v1/completions</c> bodies: broken JSON, wrong types, values
/// out of range or absurdly large, forged debug configs and MicroServing fields, and bodies over the router's size
/// limit (sent with a Content-Length or chunked), and long-run prompts that make a tokenizer work hard
/// (<see cref="LongRunPrompts"/>: 100,000 chars of one kind, or a 4 MB prompt just under the limit). Every body it
/// makes is one a router must answer with a 4xx or serve (forged fields dropped; a wrong type or range the schema
/// tolerates, such as <c>null</c>), never a 5xx. The reliability suite and the hostile benchmark share it.
/// </summary>
/// <param name="seed">The seed: the same seed makes the same bodies.</param>
/// <param name="bodyLimit">The router's <c>MaxRequestBodyBytes</c>; every oversized body exceeds it.</param>
internal sealed class HostileRequests(int seed, int bodyLimit)
{
    public const string OversizedWithLength = "oversized (Content-Length)";
    public const string OversizedChunked = "oversized (chunked)";

    /// <summary>The prefix of every long-run kind (<c>long-run one-char-run</c>, <c>long-run 4 MB</c>, …).</summary>
    public const string LongRun = "long-run";

    private readonly Random _random = new(seed);
    private int _taken;

    /// <summary>A short, valid body that the generator mutates.</summary>
    private const string ValidBody = """{"prompt":"hello world","max_tokens":2,"temperature":0}""";

    /// <summary>
    /// The next body for one of several workers sharing this generator, in the seed's order; false once
    /// <paramref name="count"/> have been taken.
    /// </summary>
    public bool TryTake(int count, out (string Kind, byte[] Body, bool Chunked) request)
    {
        lock (_random)
        {
            request = _taken < count ? Next() : default;
            return _taken++ < count;
        }
    }

    /// <summary>The next body: its kind, its bytes, and whether it goes out chunked (no Content-Length).</summary>
    public (string Kind, byte[] Body, bool Chunked) Next()
    {
        var kind = _random.Next(9);
        return kind switch
        {
            0 => ("broken-json", Encoding.UTF8.GetBytes(BreakJson()), false),
            1 => ("wrong-type", Encoding.UTF8.GetBytes(WrongType()), false),
            2 => ("out-of-range", Encoding.UTF8.GetBytes(OutOfRange()), false),
            3 => ("forged-field", Encoding.UTF8.GetBytes(ForgedDebug()), false),
            4 => (OversizedWithLength, Oversized(), false),
            5 => (OversizedChunked, Oversized(), true),
            6 => ("random-bytes", RandomBytes(), false),
            7 => LongRunPrompt(),
            _ => ("bad-prompt", Encoding.UTF8.GetBytes(BadPrompt()), false),
        };
    }

    /// <summary>A long-run prompt of 100,000 chars, or one in six times a run of one character filling the body limit.</summary>
    private (string Kind, byte[] Body, bool Chunked) LongRunPrompt()
    {
        const int Length = 100_000;
        var kinds = LongRunPrompts.Kinds;
        var pick = _random.Next(kinds.Count + 2);
        var (kind, prompt) = pick < kinds.Count
            ? (kinds[pick], LongRunPrompts.Create(kinds[pick], Length, seed: _random.Next()))
            : ("4 MB", new string('x', Math.Min(4_000_000, bodyLimit - 64)));
        var body = Encoding.UTF8.GetBytes(new JsonObject { ["prompt"] = prompt, ["max_tokens"] = 2 }.ToJsonString());
        return ($"{LongRun} {kind}", body, false);
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
        // Over the limit by 1 byte to 2 MiB: a huge prompt string or a huge token list, otherwise well-formed.
        var size = bodyLimit + _random.Next(1, 2 * 1024 * 1024);
        const string End = ",\"max_tokens\":2}";
        var builder = new StringBuilder(size + 16).Append("{\"prompt\":");
        if (_random.Next(2) == 0)
        {
            builder.Append('"').Append('a', Math.Max(1, size - builder.Length - End.Length - 2)).Append('"');
        }
        else
        {
            builder.Append('[');
            for (var i = 0; builder.Length < size - End.Length - 2; i++)
            {
                builder.Append(i % 1000).Append(',');
            }

            builder.Append("1]");
        }

        var body = Encoding.UTF8.GetBytes(builder.Append(End).ToString());
        return body.Length > bodyLimit ? body : throw new InvalidOperationException($"An oversized body of {body.Length} bytes is within the limit of {bodyLimit}.");
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
