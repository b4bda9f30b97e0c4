using System.Globalization;

namespace MlcAspire.ReferenceEngine.Cli;

/// <summary>
/// Test-only fault switches, off unless <c>MLC_REFERENCE_FAULTS</c> is set (e.g.
/// <c>stall_between_chunks_ms=200;abort_stream_after_chunks=3</c>), so router tests can meet a slow or broken engine.
/// Read once at start. Each "after N chunks" fault acts on every SSE stream once N chunks were sent: abort cuts the
/// connection (N = 0: before any response), end closes the stream cleanly but without <c>[DONE]</c>, invalid JSON
/// sends a data line that is not JSON; <c>stall_remote_send_ms</c> holds every remote_send before it starts;
/// <c>stall_prep_recv_ms</c> holds every prep_recv after its KV slots are reserved, before it answers.
/// </summary>
internal sealed record EngineFaults(
    TimeSpan StallBetweenChunks, int? AbortStreamAfterChunks, int? EndStreamAfterChunks = null, int? InvalidJsonAfterChunks = null, TimeSpan StallRemoteSend = default,
    TimeSpan StallPrepRecv = default)
{
    public const string Variable = "MLC_REFERENCE_FAULTS";

    public static EngineFaults None { get; } = new(TimeSpan.Zero, null);

    /// <exception cref="InvalidDataException">An unknown key or a bad value; the message names it.</exception>
    public static EngineFaults Parse(string? text)
    {
        var faults = None;
        foreach (var item in (text ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (key, value) = item.Split('=', 2) is [var k, var v] ? (k.Trim(), v.Trim()) : (item, "");
            if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) || number < 0)
            {
                throw new InvalidDataException($"{Variable}: '{key}' needs a non-negative integer, got '{value}'.");
            }

            faults = key switch
            {
                "stall_between_chunks_ms" => faults with { StallBetweenChunks = TimeSpan.FromMilliseconds(number) },
                "abort_stream_after_chunks" => faults with { AbortStreamAfterChunks = number },
                "end_stream_after_chunks" => faults with { EndStreamAfterChunks = number },
                "invalid_json_after_chunks" => faults with { InvalidJsonAfterChunks = number },
                "stall_remote_send_ms" => faults with { StallRemoteSend = TimeSpan.FromMilliseconds(number) },
                "stall_prep_recv_ms" => faults with { StallPrepRecv = TimeSpan.FromMilliseconds(number) },
                _ => throw new InvalidDataException($"{Variable}: unknown key '{key}'."),
            };
        }

        return faults;
    }
}
