using System.Globalization;

namespace MlcAspire.Bench.Topology;

/// <summary>nginx in front of the same engines, as the reference reverse proxy: <c>least_conn</c>, keep-alive
/// upstream connections over HTTP/1.1, no response buffering (so SSE chunks pass as they come). The bench writes
/// the configuration and runs nginx as a child process on a free port.</summary>
internal sealed class NginxProxy : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private NginxProxy(ChildProcess process, Uri url)
    {
        _process = process;
        Url = url;
    }

    public Uri Url { get; }

    public int Pid => _process.Id;

    /// <summary>Where nginx is, or null when it is not installed (<c>apt-get install -y nginx</c>).</summary>
    public static string? FindExecutable() => Executables.Find("nginx");

    public static async Task<NginxProxy> StartAsync(
        string executable, IReadOnlyList<Uri> engines, string workDirectory, HttpClient http, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(workDirectory);
        var port = FreePorts.Take();
        var config = Path.Combine(workDirectory, "nginx.conf");
        await File.WriteAllTextAsync(config, Configuration(engines, port, workDirectory), cancellationToken);
        string[] arguments = [executable, "-p", workDirectory, "-c", config, "-e", Path.Combine(workDirectory, "error.log")];
        // A session of its own, as DCP gives each router's application: with autogroup scheduling every busy session
        // gets an equal CPU share, and nginx in the bench's session would share one with the load generator
        // (docs/bench.md, "Sessions"). setsid(1) execs nginx in place (the bench's child leads no process group), so the
        // process id stays nginx's master.
        var process = Executables.Find("setsid") is { } setsid
            ? ChildProcess.Start("nginx", setsid, arguments, new Dictionary<string, string>(), workDirectory)
            : ChildProcess.Start("nginx", executable, arguments[1..], new Dictionary<string, string>(), workDirectory);
        var url = new Uri($"http://127.0.0.1:{port}/");
        try
        {
            await Readiness.WaitForOkAsync(http, new Uri(url, "v1/models"), process, TimeSpan.FromSeconds(30), cancellationToken);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }

        return new NginxProxy(process, url);
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private static string Configuration(IReadOnlyList<Uri> engines, int port, string directory)
    {
        var servers = string.Concat(engines.Select(e => $"        server {e.Host}:{e.Port.ToString(CultureInfo.InvariantCulture)};\n"));
        return $$"""
            daemon off;
            master_process on;
            worker_processes auto;
            worker_rlimit_nofile 65536;
            pid {{directory}}/nginx.pid;

            events {
                worker_connections 16384;
            }

            http {
                access_log off;
                client_body_temp_path {{directory}}/client_body;
                proxy_temp_path {{directory}}/proxy;
                fastcgi_temp_path {{directory}}/fastcgi;
                uwsgi_temp_path {{directory}}/uwsgi;
                scgi_temp_path {{directory}}/scgi;

                upstream engines {
                    least_conn;
            {{servers}}        keepalive 1024;
                    keepalive_requests 1000000;
                }

                server {
                    listen 127.0.0.1:{{port}} backlog=8192;
                    keepalive_requests 1000000;
                    client_max_body_size 64m;

                    location / {
                        proxy_pass http://engines;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_buffering off;
                        proxy_request_buffering off;
                        proxy_read_timeout 1h;
                        proxy_send_timeout 1h;
                    }
                }
            }
            """;
    }
}
