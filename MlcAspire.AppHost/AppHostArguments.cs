using Microsoft.Extensions.Configuration;
using MlcAspire.AppHost.Topology;

namespace MlcAspire.AppHost;

/// <summary>
/// The AppHost's command line: MLC's router flags (and ours), read and validated before Aspire sees anything, and the
/// few that Aspire itself takes (<c>--publisher</c>, <c>--output-path</c>) handed on to it.
/// </summary>
internal static class AppHostArguments
{
    /// <summary>The options, or null with the first problem (naming its flag) in <paramref name="error"/>.</summary>
    public static AppHostOptions? Read(string[] args, out string? error)
    {
        // The Topology section of appsettings.json and Topology__* variables, under the flags, as before Aspire.
        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .Build();
        var read = TopologyReader.Read(args, configuration);
        error = read.Error
            ?? TopologyValidator.Validate(read.Options!.Topology, GpuInventory.Count())
            ?? ValidatePublishing(read.Options);
        return error is null ? read.Options : null;
    }

    /// <summary>What Aspire's builder is given: its own publishing switches; MLC's flags are ours alone.</summary>
    public static string[] ForAspire(AppHostOptions options) =>
        options.Publisher is { } publisher ? ["--publisher", publisher, "--output-path", options.OutputPath!] : [];

    private static string? ValidatePublishing(AppHostOptions options) => options switch
    {
        { Publisher: null } => null,
        { Publisher: not AppHostOptions.ManifestPublisher } => $"--publisher: only '{AppHostOptions.ManifestPublisher}' is supported, got '{options.Publisher}'",
        { OutputPath: null } => "--output-path: the manifest publisher needs a file to write",
        _ => null,
    };
}
