namespace MlcAspire.Bench.Topology;

/// <summary>The running processes and the load targets over them.</summary>
internal sealed class BenchTopology(
    RunningTopology running, NginxProxy? nginx, IReadOnlyDictionary<string, ILoadTarget> targets, IReadOnlyList<string> notes, string workDirectory)
    : IAsyncDisposable
{
    /// <summary>Where this topology's process logs go (and what the bench runs beside it, such as perf).</summary>
    public string WorkDirectory => workDirectory;

    public string Model => running.Model;

    /// <summary>The engines' base URLs by index (their <c>/metrics</c> counts what they computed).</summary>
    public IReadOnlyList<Uri> Engines => running.Engines;

    public IReadOnlyList<string> Notes => notes;

    public IReadOnlyList<EngineChunkLog> ChunkTimeLogs { get; } = [.. (running.ChunkTimeLogs ?? []).Select(path => new EngineChunkLog(path))];

    public ILoadTarget? Target(string name) => targets.GetValueOrDefault(name);

    public int? RouterPid(string name) => running.Routers.TryGetValue(name, out var router) ? router.Pid : null;

    public Uri? RouterUrl(string name) => running.Routers.TryGetValue(name, out var router) ? router.Url : null;

    public static async Task<BenchTopology> StartAsync(
        ITopologyStarter starter, TopologyRequest request, bool withNginx, string workDirectory, HttpClient http, CancellationToken cancellationToken)
    {
        var running = await starter.StartAsync(request, cancellationToken);
        var notes = new List<string>();
        var targets = new Dictionary<string, ILoadTarget>();
        NginxProxy? nginx = null;
        try
        {
            if (running.Engines.Count > 0)
            {
                targets[TargetNames.Direct] = new CompletionsTarget(TargetNames.Direct, running.Engines, null, http);
            }

            if (running.Engines.Count > 1)
            {
                targets[TargetNames.EnginePd] = new ClientDisaggTarget(TargetNames.EnginePd, running.Model, running.Engines[0], running.Engines[1], 1, http);
            }

            foreach (var (name, (url, pid)) in running.Routers)
            {
                targets[name] = new CompletionsTarget(name, [url], pid, http);
            }

            if (withNginx)
            {
                if (NginxProxy.FindExecutable() is { } executable)
                {
                    nginx = await NginxProxy.StartAsync(executable, running.Engines, Path.Combine(workDirectory, "nginx"), http, cancellationToken);
                    targets[TargetNames.Nginx] = new CompletionsTarget(TargetNames.Nginx, [nginx.Url], nginx.Pid, http);
                }
                else
                {
                    notes.Add("nginx is not installed (apt-get install -y nginx): the nginx target is skipped.");
                }
            }

            List<(string, int)> processes = [(SchedulingGroups.BenchName, Environment.ProcessId)];
            processes.AddRange(running.Routers.Where(r => r.Value.Pid is not null).Select(r => (r.Key, r.Value.Pid!.Value)));
            processes.AddRange(nginx is null ? [] : [(TargetNames.Nginx, nginx.Pid)]);
            processes.AddRange((running.EnginePids ?? []).Select((pid, i) => ($"engine-{i}", pid)));
            notes.Add($"{Path.GetFileName(workDirectory)} {SchedulingGroups.Describe(processes)}");
        }
        catch
        {
            await running.DisposeAsync();
            throw;
        }

        return new BenchTopology(running, nginx, targets, notes, workDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        if (nginx is not null)
        {
            await nginx.DisposeAsync();
        }

        await running.DisposeAsync();
    }
}
