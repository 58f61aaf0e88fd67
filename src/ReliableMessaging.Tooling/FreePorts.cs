using System.Net;
using System.Net.Sockets;

namespace ReliableMessaging.Tooling;

/// <summary>
/// Loopback ports nothing listens on, so that a throwaway server or cluster collides with nothing else on the machine.
/// A port is free when it is picked, not when its server binds it seconds later: so never one from the ranges
/// Orleans' TestingHost (10.4) hands its gateways (12000-21999) and silos (22300-29999), which the suite's
/// in-process clusters pick concurrently (in other test processes) by the same kind of check.
/// </summary>
public static class FreePorts
{
    // Above Linux's default ephemeral range (32768-60999), so no port the kernel hands out either.
    private const int BlockRangeStart = 61_000;
    private const int BlockRangeEnd = 65_000;

    /// <summary>A port the operating system just handed out as free, outside the TestingHost's ranges.</summary>
    public static int One()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            if (!IsTestingHostPort(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException("The operating system handed out no free port outside the TestingHost's ranges.");
    }

    /// <summary>The first of <paramref name="count"/> consecutive free ports (e.g. silo K uses base + K - 1), outside the TestingHost's ranges.</summary>
    public static int Block(int count)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var first = Random.Shared.Next(BlockRangeStart, BlockRangeEnd - count);
            if (Enumerable.Range(first, count).All(IsFree))
            {
                return first;
            }
        }

        throw new InvalidOperationException($"No {count} consecutive free loopback ports found.");
    }

    /// <summary>Whether Orleans' TestingHost may give <paramref name="port"/> to a test cluster's silo or gateway.</summary>
    public static bool IsTestingHostPort(int port) => port is >= 12_000 and < 22_000 or >= 22_300 and < 30_000;

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
