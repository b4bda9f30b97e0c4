using System.Diagnostics;
using System.Globalization;
using System.Net;
using MlcAspire.AppHost.Planning;
using MlcAspire.Tests.Unit.AppHost;

namespace MlcAspire.Tests.EndToEnd.AppHost;

/// <summary>The AppHost as a user (or <c>azd</c>) runs it: its own process, its exit code, its children.</summary>
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
    public async Task MissingPython_FailsStartupWithCode1NamingTheResource()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var appHost = StartAppHost(["--engine-kind", "mlc", "--router-mode", "round-robin", "--python", "/nonexistent/python3"]);
        _ = appHost.StandardOutput.ReadToEndAsync(cancellationToken);

        var stderr = await appHost.StandardError.ReadToEndAsync(cancellationToken);
        await appHost.WaitForExitAsync(cancellationToken).WaitAsync(s_timeout, cancellationToken);

        Assert.Equal(1, appHost.ExitCode);
        Assert.StartsWith("error: engine-0 could not start '/nonexistent/python3'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PublishWithAzdArguments_WritesAManifestValidAgainstTheAspireSchema_WarningThatDisaggHasNoNvshmemWorld()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var output = Path.Combine(Path.GetTempPath(), $"mlcaspire-{Guid.NewGuid():N}", "aspire-manifest.json");
        try
        {
            using var appHost = StartAppHost(["--engine-kind", "mlc", "--endpoint-num-gpus", "2", "2", "--publisher", "manifest", "--output-path", output]);
            _ = appHost.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = await appHost.StandardError.ReadToEndAsync(cancellationToken);
            await appHost.WaitForExitAsync(cancellationToken).WaitAsync(s_timeout, cancellationToken);
            Assert.Equal(0, appHost.ExitCode);
            Assert.StartsWith("warning: --router-mode disagg: the manifest's engines have no NVSHMEM world", stderr, StringComparison.Ordinal);

            var schema = await ManifestWriterTests.LoadAspireSchemaAsync(cancellationToken);
            var manifest = await File.ReadAllTextAsync(output, cancellationToken);
            Assert.Empty(schema.Validate(manifest));
            Assert.Contains("\"services__engine-1__http__0\": \"{engine-1.bindings.http.url}\"", manifest, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(output)!, recursive: true);
        }
    }

    [Theory]
    [InlineData(ProcessTree.SigInt, 0)]
    [InlineData(ProcessTree.SigTerm, 0)]
    [InlineData(ProcessTree.SigKill, 137)]
    public async Task StoppedOrKilledAppHost_LeavesNoChildProcess(int signal, int expectedExitCode)
    {
        // The AppHost would inherit the "ignore", and .NET keeps an inherited ignored SIGINT ignored.
        Assert.SkipWhen(signal == ProcessTree.SigInt && ProcessTree.IsIgnoredHere(signal),
            "SIGINT is ignored in this environment (started as a background job); SIGTERM takes the same stop path.");
        var cancellationToken = TestContext.Current.CancellationToken;
        var ports = FreePorts.Take(3);
        using var appHost = StartAppHost(
            ["--router-mode", "round-robin", "--router-port", Port(ports[0]), "--endpoint-ports", Port(ports[1]), Port(ports[2])]);
        _ = appHost.StandardOutput.ReadToEndAsync(cancellationToken);
        _ = appHost.StandardError.ReadToEndAsync(cancellationToken);

        // The router starts last, after every engine answered /v1/models: once it is healthy, every child exists.
        await WaitForHealthAsync(new Uri($"http://127.0.0.1:{Port(ports[0])}{PlanBuilder.RouterHealthPath}"), appHost, cancellationToken)
            .WaitAsync(s_timeout, cancellationToken);
        var children = ProcessTree.Descendants(appHost.Id);
        Assert.True(children.Count >= 4, $"expected two engines, the router and the watchdog, found {children.Count} processes");

        ProcessTree.Signal(appHost.Id, signal);
        await appHost.WaitForExitAsync(cancellationToken).WaitAsync(s_timeout, cancellationToken);
        await Task.WhenAll(children.Select(pid => ProcessTree.WaitForExitAsync(pid, cancellationToken))).WaitAsync(s_timeout, cancellationToken);

        Assert.Equal(expectedExitCode, appHost.ExitCode);
        Assert.All(children, pid => Assert.False(ProcessTree.IsAlive(pid), $"process {pid} outlived the AppHost"));
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static Process StartAppHost(IReadOnlyList<string> args)
    {
        var startInfo = new ProcessStartInfo(MlcAspire.AppHost.Running.DotnetHost.Resolve(MlcAspire.AppHost.Running.DotnetHost.Command))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = ProgramPaths.FromBuild().RepositoryRoot,
        };
        startInfo.ArgumentList.Add(ProgramPaths.FromBuild().AppHostDll);
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        return Process.Start(startInfo)!;
    }

    private static async Task WaitForHealthAsync(Uri url, Process appHost, CancellationToken cancellationToken)
    {
        using var client = new HttpClient();
        while (!appHost.HasExited)
        {
            try
            {
                using var response = await client.GetAsync(url, cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }

        Assert.Fail($"The AppHost exited with code {appHost.ExitCode} before the router was healthy.");
    }
}
