using System.Globalization;
using Microsoft.Extensions.Configuration;
using MlcAspire.Contracts;

namespace MlcAspire.AppHost.Topology;

/// <summary>
/// Reads <see cref="AppHostOptions"/> from the configuration section <c>Topology</c> (appsettings.json,
/// <c>Topology__EndpointPorts</c> in the environment) overlaid by MLC's router flags on the command line.
/// </summary>
/// <remarks>
/// MLC's lists mix separators: <c>--endpoint-hosts</c> is one comma-separated value, <c>--endpoint-ports</c>
/// and <c>--endpoint-num-gpus</c> take several space-separated values (<c>nargs=*</c>). The configuration
/// binder's command-line provider cannot read the latter, so the flags are parsed here. In configuration a
/// list is either a string in the flag's syntax or an array.
/// </remarks>
internal static class TopologyReader
{
    public const string SectionName = "Topology";

    private static readonly TopologyFlag[] s_flags =
    [
        new("--model-lib", "ModelLib"),
        new("--router-mode", "RouterMode"),
        new("--router-host", "RouterHost"),
        new("--router-port", "RouterPort"),
        new("--endpoint-hosts", "EndpointHosts"),
        new("--endpoint-ports", "EndpointPorts", IsList: true),
        new("--endpoint-num-gpus", "EndpointNumGpus", IsList: true),
        new("--endpoint-roles", "EndpointRoles", IsList: true),
        new("--enable-prefix-cache", "EnablePrefixCache", IsSwitch: true),
        new("--attach-engines", "AttachEngines", IsSwitch: true),
        new("--pd-balance-factor", "PdBalanceFactor"),
        new("--routing-policy", "RoutingPolicy"),
        new("--engine-kind", "EngineKind"),
        new("--python", "PythonCommand"),
        new("--otlp-endpoint", "OtlpEndpoint"),
        new("--startup-timeout", "StartupTimeoutSeconds"),
        new("--publisher", "Publisher"),
        new("--output-path", "OutputPath"),
    ];

    private const string ModelFlag = "model";

    /// <summary>Reads the options, or returns the first problem as one message that names the flag.</summary>
    public static TopologyReadResult Read(IReadOnlyList<string> args, IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var flag in s_flags.Append(new TopologyFlag(ModelFlag, "Model")))
        {
            var fromConfig = ReadConfiguration(section.GetSection(flag.ConfigKey), flag);
            if (fromConfig is not null)
            {
                values[flag.Name] = fromConfig;
            }
        }

        var commandLineError = ReadCommandLine(args, values);
        if (commandLineError is not null)
        {
            return new(null, commandLineError);
        }

        var parser = new Parser(values);
        var defaults = new TopologyOptions();
        var ports = parser.Integers("--endpoint-ports");
        var gpus = parser.Integers("--endpoint-num-gpus");
        var hosts = parser.Strings("--endpoint-hosts");
        var roles = parser.Roles("--endpoint-roles");

        // The engine count comes from the first list given; lists not given get one default per engine
        // (MLC's defaults), lists given must match (checked by TopologyValidator, naming both flags).
        var (engineCount, engineCountFlag) = (ports, hosts, gpus, roles) switch
        {
            ({ } list, _, _, _) => (list.Count, "--endpoint-ports"),
            (_, { } list, _, _) => (list.Count, "--endpoint-hosts"),
            (_, _, { } list, _) => (list.Count, "--endpoint-num-gpus"),
            (_, _, _, { } list) => (list.Count, "--endpoint-roles"),
            _ => (defaults.EngineCount, defaults.EngineCountFlag),
        };
        var topology = new TopologyOptions
        {
            Model = parser.String(ModelFlag) ?? defaults.Model,
            ModelLib = parser.String("--model-lib"),
            RouterMode = parser.Mode("--router-mode") ?? defaults.RouterMode,
            RouterHost = parser.String("--router-host") ?? defaults.RouterHost,
            RouterPort = parser.Integer("--router-port") ?? defaults.RouterPort,
            EndpointHosts = hosts ?? [.. Enumerable.Repeat(defaults.EndpointHosts[0], engineCount)],
            EndpointPorts = ports ?? [.. Enumerable.Range(defaults.EndpointPorts[0], engineCount)],
            EndpointNumGpus = gpus ?? [.. Enumerable.Repeat(1, engineCount)],
            EndpointRoles = roles,
            EngineCountFlag = engineCountFlag,
            EnablePrefixCache = parser.Switch("--enable-prefix-cache"),
            AttachEngines = parser.Switch("--attach-engines"),
            PdBalanceAdaptive = parser.String("--pd-balance-factor") == TopologyOptions.AdaptiveBalance,
            PdBalanceFactor = parser.String("--pd-balance-factor") == TopologyOptions.AdaptiveBalance
                ? defaults.PdBalanceFactor
                : parser.Double("--pd-balance-factor") ?? defaults.PdBalanceFactor,
            RoutingPolicy = parser.String("--routing-policy"),
            EngineKind = parser.Kind("--engine-kind") ?? defaults.EngineKind,
            PythonCommand = parser.String("--python") ?? defaults.PythonCommand,
            OtlpEndpoint = parser.String("--otlp-endpoint"),
        };
        var timeoutSeconds = parser.PositiveInteger("--startup-timeout");
        var options = new AppHostOptions
        {
            Topology = topology,
            Publisher = parser.String("--publisher"),
            OutputPath = parser.String("--output-path"),
            StartupTimeout = timeoutSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : new AppHostOptions().StartupTimeout,
        };

        return parser.Error is { } error ? new(null, error) : new(options, null);
    }

    private static List<string>? ReadConfiguration(IConfigurationSection section, TopologyFlag flag)
    {
        var children = section.GetChildren().Select(c => c.Value).OfType<string>().ToList();
        if (children.Count > 0)
        {
            return children;
        }

        return section.Value switch
        {
            null => null,
            var text when flag.IsList => [.. text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
            var text => [text],
        };
    }

    private static string? ReadCommandLine(IReadOnlyList<string> args, Dictionary<string, List<string>> values)
    {
        // argparse also takes --flag=value; split it so that one loop reads both forms.
        args = [.. args.SelectMany(a => a.StartsWith("--", StringComparison.Ordinal) && a.IndexOf('=', StringComparison.Ordinal) is > 2 and var i
            ? new[] { a[..i], a[(i + 1)..] }
            : [a])];
        string? model = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (model is not null)
                {
                    return $"model: only one model may be given, got '{model}' and '{arg}'";
                }

                model = arg;
                values[ModelFlag] = [arg];
                continue;
            }

            var flag = Array.Find(s_flags, f => f.Name == arg);
            if (flag is null)
            {
                return $"{arg}: unknown flag";
            }

            if (flag.IsSwitch)
            {
                values[flag.Name] = ["true"];
                continue;
            }

            var taken = new List<string>();
            while (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal) && (flag.IsList || taken.Count == 0))
            {
                taken.Add(args[++i]);
            }

            if (taken.Count == 0)
            {
                return $"{flag.Name}: expects a value";
            }

            values[flag.Name] = taken;
        }

        return null;
    }

    private sealed record TopologyFlag(string Name, string ConfigKey, bool IsList = false, bool IsSwitch = false);

    /// <summary>Converts the raw values, keeping the first error (which names its flag).</summary>
    private sealed class Parser(Dictionary<string, List<string>> values)
    {
        public string? Error { get; private set; }

        public string? String(string flag) => values.TryGetValue(flag, out var v) ? v[0] : null;

        /// <summary>A comma-separated list (the flag's syntax), or, from configuration, an array whose items may be either.</summary>
        public List<string>? Strings(string flag) =>
            values.TryGetValue(flag, out var texts)
                ? [.. texts.SelectMany(t => t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))]
                : null;

        public bool Switch(string flag) => String(flag) switch
        {
            null => false,
            var text when bool.TryParse(text, out var on) => on,
            var text => Fail(flag, $"expects true or false, got '{text}'", false),
        };

        public int? Integer(string flag) => String(flag) switch
        {
            null => null,
            var text when int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
            var text => Fail<int?>(flag, $"expects an integer, got '{text}'", null),
        };

        public int? PositiveInteger(string flag) => Integer(flag) switch
        {
            <= 0 and var n => Fail<int?>(flag, $"expects a positive number of seconds, got {n}", null),
            var n => n,
        };

        public double? Double(string flag) => String(flag) switch
        {
            null => null,
            var text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) => x,
            var text => Fail<double?>(flag, $"expects a number, got '{text}'", null),
        };

        public List<int>? Integers(string flag)
        {
            if (!values.TryGetValue(flag, out var texts))
            {
                return null;
            }

            var result = new List<int>(texts.Count);
            foreach (var text in texts)
            {
                if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
                {
                    return Fail<List<int>?>(flag, $"expects space-separated integers, got '{text}'", null);
                }

                result.Add(n);
            }

            return result;
        }

        public List<EngineRole>? Roles(string flag)
        {
            if (!values.TryGetValue(flag, out var texts))
            {
                return null;
            }

            var result = new List<EngineRole>(texts.Count);
            foreach (var text in texts)
            {
                if (!Enum.TryParse<EngineRole>(text, ignoreCase: true, out var role) || !Enum.IsDefined(role))
                {
                    return Fail<List<EngineRole>?>(flag, $"expects Prefill, Decode or Both for each engine, got '{text}'", null);
                }

                result.Add(role);
            }

            return result;
        }

        public RouterMode? Mode(string flag) => String(flag) switch
        {
            null => null,
            var text when RouterModeNames.TryParse(text, out var mode) => mode,
            var text => Fail<RouterMode?>(flag, $"expects {RouterModeNames.Disagg} or {RouterModeNames.RoundRobin}, got '{text}'", null),
        };

        public EngineKind? Kind(string flag) => String(flag) switch
        {
            null => null,
            "reference" => EngineKind.Reference,
            "mlc" => EngineKind.Mlc,
            var text => Fail<EngineKind?>(flag, $"expects reference or mlc, got '{text}'", null),
        };

        private T Fail<T>(string flag, string message, T fallback)
        {
            Error ??= $"{flag}: {message}";
            return fallback;
        }
    }
}
