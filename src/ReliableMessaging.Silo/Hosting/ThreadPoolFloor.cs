namespace ReliableMessaging.Silo.Hosting;

/// <summary>
/// Npgsql cancels a statement that timed out synchronously: it opens a second connection on the same
/// path and waits for the server to close it, holding a thread-pool thread for as long as the path does
/// not answer. When the way to the database hangs, every connection with a statement in flight does so
/// at once, and the thread pool adds threads about one a second past its minimum (one per core): the
/// silo's own work, its answers to its peers' membership probes included, queued behind them for tens
/// of seconds, and its peers declared it dead once the database answered again (measured with every
/// silo's path hung for 45 s: one of three silos lost). Raising the minimum by the connections the
/// process may hold lets a thread start at once for each of them; an idle pool still keeps no more
/// threads than its work needs.
/// </summary>
public static class ThreadPoolFloor
{
    /// <summary>
    /// Raises the thread pool's minimum worker threads to its default (one per core) plus
    /// <paramref name="connections"/>, never lowers it. Returns the minimum in force.
    /// </summary>
    public static int RaiseFor(int connections)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(connections);
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        var wanted = Environment.ProcessorCount + connections;
        if (workers >= wanted)
        {
            return workers;
        }

        if (!ThreadPool.SetMinThreads(wanted, completionPorts))
        {
            throw new InvalidOperationException($"The thread pool refused a minimum of {wanted} worker threads.");
        }

        return wanted;
    }
}
