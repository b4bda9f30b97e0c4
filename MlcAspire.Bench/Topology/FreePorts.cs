using System.Net;
using System.Net.Sockets;

namespace MlcAspire.Bench.Topology;

/// <summary>
/// Ports for the processes the tests and the benchmark start. A port that the OS picked for a listener and that was released again
/// lies in the ephemeral range, where any outgoing connection of a test running in parallel may take it before
/// the process binds it. These come from below that range (Linux: 32768–60999) and are handed out once per run.
/// </summary>
internal static class FreePorts
{
    private const int First = 20_000;
    private const int Last = 32_000;

    // One allocator for the whole process: parallel test classes must never get the same port. The random
    // start keeps two test runs on one machine apart.
    private static int s_next = First + Random.Shared.Next(0, (Last - First) / 2);

    public static int Take()
    {
        while (true)
        {
            var port = Interlocked.Increment(ref s_next);
            if (port > Last)
            {
                Interlocked.CompareExchange(ref s_next, First, port);
                continue;
            }

            if (IsFree(port))
            {
                return port;
            }
        }
    }

    public static int[] Take(int count) => [.. Enumerable.Range(0, count).Select(_ => Take())];

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
