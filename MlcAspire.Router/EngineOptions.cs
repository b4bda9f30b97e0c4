using System.ComponentModel.DataAnnotations;

namespace MlcAspire.Router;

/// <summary>One engine behind the router: <c>Router__Engines__&lt;k&gt;__*</c>.</summary>
public sealed class EngineOptions
{
    /// <summary>The engine's logical name (<c>engine-0</c>); the router calls <c>http://engine-0</c> through service discovery.</summary>
    [Required]
    [RegularExpression("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", ErrorMessage = "Name must be a kebab-case resource name such as 'engine-0'.")]
    public string Name { get; set; } = "";

    public EngineRole Role { get; set; } = EngineRole.Both;

    /// <summary>The engine's first NVSHMEM PE, sent as <c>recv_rank</c> when it receives KV.</summary>
    [Range(0, int.MaxValue)]
    public int PeStart { get; set; }
}
