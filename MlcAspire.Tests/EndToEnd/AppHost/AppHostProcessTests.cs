using System.Diagnostics;
using System.Text.Json.Nodes;
using MlcAspire.AppHost.Hosting;
using MlcAspire.Tests.Unit.AppHost;

namespace MlcAspire.Tests.EndToEnd.AppHost;

/// <summary>The AppHost as a user (or <c>azd</c>) runs it: its own process, its exit code, what it writes.</summary>
[Trait("Category", "EndToEnd")]
public sealed class AppHostProcessTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(120);

    [Theory]
    [InlineData("--endpoint-ports 9001 9002 --endpoint-num-gpus 1", "error: --endpoint-num-gpus: has 1 value(s) but --endpoint-ports has 2; give one per engine")]
    [InlineData("--pd-balance-factor 1.5", "error: --pd-balance-factor: 1.5 is outside [0, 1)")]
    [InlineData("--endpoint-ports 9001", "error: --router-mode: disagg needs at least two engines, --endpoint-ports gives 1")]
    [InlineData("--publisher docker", "error: --publisher: only 'manifest' is supported, got 'docker'")]
    public async Task InvalidTopology_ExitsWithCode2AndOneMessageNamingTheFlag(string args, string expected)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var appHost = StartAppHost(args.Split(' '));

        var stderr = await appHost.StandardError.ReadToEndAsync(cancellationToken);
        await appHost.WaitForExitAsync(cancellationToken).WaitAsync(s_timeout, cancellationToken);

        Assert.Equal(2, appHost.ExitCode);
        Assert.Equal(expected, stderr.Trim());
    }

    [Fact]
    public async Task PublishWithAzdArguments_WritesAspiresManifest_ValidAgainstTheSchema_WithEachEnginesGpusAndNoPathOfThisMachine()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        // Inside the repository, as azd keeps it beside the AppHost: the manifest's paths are relative to its folder.
        var output = Path.Combine(RepositoryPaths.Root, "artifacts", "manifests", Guid.NewGuid().ToString("N"), "aspire-manifest.json");
        try
        {
            using var appHost = StartAppHost(
                ["/data/models/Llama-3-8B-q4f16_1-MLC", "--engine-kind", "mlc", "--endpoint-num-gpus", "2", "4", "--publisher", "manifest", "--output-path", output]);
            var stdout = appHost.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = await appHost.StandardError.ReadToEndAsync(cancellationToken);
            await appHost.WaitForExitAsync(cancellationToken).WaitAsync(s_timeout, cancellationToken);
            Assert.True(appHost.ExitCode == 0, stderr + await stdout);

            var manifest = await File.ReadAllTextAsync(output, cancellationToken);
            var schema = await AspireManifestSchema.LoadAsync(cancellationToken);
            Assert.Empty(schema.Validate(manifest));

            var resources = JsonNode.Parse(manifest)!["resources"]!;
            Assert.Equal("project.v0", resources["router"]!["type"]!.GetValue<string>());
            Assert.Equal("{engine-1.bindings.http.url}", resources["router"]!["env"]!["services__engine-1__http__0"]!.GetValue<string>());
            Assert.Equal("models/Llama-3-8B-q4f16_1-MLC", resources["router"]!["env"]!["Router__Model"]!.GetValue<string>());
            foreach (var (engine, gpus) in new[] { ("engine-0", "2"), ("engine-1", "4") })
            {
                Assert.Equal("dockerfile.v0", resources[engine]!["type"]!.GetValue<string>());
                Assert.Equal(gpus, resources[engine]!["buildArgs"]![MlcEngineBuilderExtensions.NumGpusVariable]!.GetValue<string>());
                Assert.Equal(gpus, resources[engine]!["env"]![MlcEngineBuilderExtensions.NumGpusVariable]!.GetValue<string>());
            }

            Assert.StartsWith("models/Llama-3-8B-q4f16_1-MLC --device cuda:0 ", resources["engine-1"]!["env"]![MlcEngineBuilderExtensions.ServeArgsVariable]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.DoesNotContain(RepositoryPaths.Root, manifest, StringComparison.Ordinal);
            Assert.DoesNotContain("/data/models", manifest, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(Path.GetDirectoryName(output)))
            {
                Directory.Delete(Path.GetDirectoryName(output)!, recursive: true);
            }
        }
    }

    private static Process StartAppHost(IReadOnlyList<string> args)
    {
        var startInfo = new ProcessStartInfo(BuiltProgram.DotnetCommand)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryPaths.Root,
        };
        startInfo.ArgumentList.Add(BuiltProgram.DllOf(Projects.MlcAspire_AppHost.ProjectPath));
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        return Process.Start(startInfo)!;
    }
}
