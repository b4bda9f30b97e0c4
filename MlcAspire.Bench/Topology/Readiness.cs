using System.Net;

namespace MlcAspire.Bench.Topology;

internal static class Readiness
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Waits until <paramref name="url"/> answers 200, failing early when the process exits.</summary>
    public static async Task WaitForOkAsync(HttpClient http, Uri url, ChildProcess? process, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            if (process is { HasExited: true })
            {
                throw new InvalidOperationException($"{process.Name} exited before {url} answered; see its log.");
            }

            try
            {
                using var response = await http.GetAsync(url, deadline.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{url} did not answer 200 within {timeout.TotalSeconds:0} s.");
            }

            try
            {
                await Task.Delay(PollInterval, deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{url} did not answer 200 within {timeout.TotalSeconds:0} s.");
            }
        }
    }
}
