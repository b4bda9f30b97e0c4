using System.Globalization;
using System.Text;

namespace MlcAspire.AppHost.Hosting;

/// <summary>
/// An engine's <c>MLC_NVSHMEM_INIT_CONFIG_JSON_STR</c> (mlc-protocol.md §1.5) short of the uid, which exists only once the
/// helper process of the world has produced it at run time.
/// </summary>
internal sealed record NvshmemInit(int Npes, int PeStart)
{
    public const string EnvironmentVariable = "MLC_NVSHMEM_INIT_CONFIG_JSON_STR";

    /// <summary>The variable's value: <c>{"uid": [...], "npes": N, "pe_start": S}</c>, as MLC's router writes it.</summary>
    public string ToEnvironmentValue(IReadOnlyList<long> uid)
    {
        var json = new StringBuilder("{\"uid\": [");
        json.AppendJoin(", ", uid.Select(u => u.ToString(CultureInfo.InvariantCulture)));
        json.Append(CultureInfo.InvariantCulture, $"], \"npes\": {Npes}, \"pe_start\": {PeStart}}}");
        return json.ToString();
    }
}
