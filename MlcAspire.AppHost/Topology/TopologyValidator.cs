using MlcAspire.Contracts;

namespace MlcAspire.AppHost.Topology;

/// <summary>
/// The cross-field rules of a topology. Each failure is one message that names the flag to fix; MLC's router
/// checks only the list lengths (with an assert) and finds the rest per request or never (mlc-protocol.md W1, W11, W13).
/// </summary>
internal static class TopologyValidator
{
    /// <param name="options">The topology.</param>
    /// <param name="machineGpuCount">The GPUs this machine has, or null where that cannot be read.</param>
    /// <returns>null when the topology is valid, else the first problem.</returns>
    public static string? Validate(TopologyOptions options, int? machineGpuCount)
    {
        var engines = options.EngineCount;
        return engines switch
        {
            0 => $"{options.EngineCountFlag}: at least one engine is needed",
            _ when options.EndpointHosts.Count != engines => LengthMismatch(options, "--endpoint-hosts", options.EndpointHosts.Count),
            _ when options.EndpointNumGpus.Count != engines => LengthMismatch(options, "--endpoint-num-gpus", options.EndpointNumGpus.Count),
            _ when options.EndpointRoles is { } roles && roles.Count != engines => LengthMismatch(options, "--endpoint-roles", roles.Count),
            _ when options.EndpointNumGpus.Any(g => g < 1) =>
                $"--endpoint-num-gpus: every engine needs at least one GPU, got {options.EndpointNumGpus.First(g => g < 1)}",
            _ => ValidatePorts(options) ?? ValidateScheduling(options) ?? ValidateMachine(options, machineGpuCount),
        };
    }

    // Names the list that fixed the engine count, which is --endpoint-ports only when that list was given.
    private static string LengthMismatch(TopologyOptions options, string flag, int count) =>
        $"{flag}: has {count} value(s) but {options.EngineCountFlag} has {options.EngineCount}; give one per engine";

    private static string? ValidatePorts(TopologyOptions options)
    {
        if (options.RouterPort is < 1 or > 65535)
        {
            return $"--router-port: {options.RouterPort} is not a TCP port (1-65535)";
        }

        var seen = new HashSet<int> { options.RouterPort };
        foreach (var port in options.EndpointPorts)
        {
            if (port is < 1 or > 65535)
            {
                return $"--endpoint-ports: {port} is not a TCP port (1-65535)";
            }

            if (!seen.Add(port))
            {
                return port == options.RouterPort
                    ? $"--endpoint-ports: port {port} is also the --router-port"
                    : $"--endpoint-ports: port {port} is used twice";
            }
        }

        return null;
    }

    private static string? ValidateScheduling(TopologyOptions options)
    {
        if (options.PdBalanceFactor is not (>= 0 and < 1) || double.IsNaN(options.PdBalanceFactor))
        {
            // MLC lets f outside [0,1) through and the engine then dies on an ICHECK (mlc-protocol.md W11).
            return $"--pd-balance-factor: {options.PdBalanceFactor} is outside [0, 1)";
        }

        if (options.RoutingPolicy is not (null or TopologyOptions.LeastLoadedPolicy or TopologyOptions.CacheAwarePolicy))
        {
            return $"--routing-policy: expects {TopologyOptions.LeastLoadedPolicy} or {TopologyOptions.CacheAwarePolicy}, got '{options.RoutingPolicy}'";
        }

        var roles = TopologyDefaults.Roles(options);
        return options.RouterMode switch
        {
            RouterMode.Disagg when options.EngineCount < 2 =>
                $"--router-mode: disagg needs at least two engines, {options.EngineCountFlag} gives {options.EngineCount}",
            RouterMode.Disagg when !roles.Any(r => r is EngineRole.Prefill or EngineRole.Both) =>
                "--endpoint-roles: disagg needs at least one Prefill engine",
            RouterMode.Disagg when !roles.Any(r => r is EngineRole.Decode or EngineRole.Both) =>
                "--endpoint-roles: disagg needs at least one Decode engine",
            RouterMode.RoundRobin when roles.Any(r => r is not EngineRole.Both) =>
                "--endpoint-roles: round-robin sends whole requests, so every engine must be Both",
            _ => null,
        };
    }

    private static string? ValidateMachine(TopologyOptions options, int? machineGpuCount)
    {
        // Only real engines use real GPUs; the reference engine's devices are names.
        var needed = options.EndpointNumGpus.Sum();
        return options.EngineKind == EngineKind.Mlc && machineGpuCount is { } available && needed > available
            ? $"--endpoint-num-gpus: the engines need {needed} GPUs but this machine has {available}"
            : null;
    }
}
