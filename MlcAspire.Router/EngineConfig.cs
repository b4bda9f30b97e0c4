namespace MlcAspire.Router;

/// <summary>
/// One engine behind the router as configured: <c>Router__Engines__&lt;k&gt;__*</c>. Its live half (load, health) is
/// <see cref="EngineState"/>, as YARP splits <c>DestinationConfig</c> from <c>DestinationState</c>.
/// </summary>
/// <remarks>Checked by <see cref="RouterOptionsValidator"/>: DataAnnotations do not reach into list items.</remarks>
public sealed class EngineConfig
{
    /// <summary>The engine's logical name (<c>engine-0</c>); the router calls <c>http://engine-0</c> through service discovery.</summary>
    public string Name { get; set; } = "";

    public EngineRole Role { get; set; } = EngineRole.Both;

    /// <summary>The engine's first NVSHMEM PE, sent as <c>recv_rank</c> when it receives KV.</summary>
    public int PeStart { get; set; }
}
