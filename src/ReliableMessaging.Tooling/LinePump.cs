namespace ReliableMessaging.Tooling;

/// <summary>Hands every line a child writes to one of its redirected streams to a sink, until the stream ends.</summary>
internal static class LinePump
{
    /// <summary>
    /// How long output is still read after a child was killed: a grandchild that left its tree
    /// (a daemon) may hold the pipe open forever, and what arrived by then is enough.
    /// </summary>
    public static readonly TimeSpan DrainAfterKill = TimeSpan.FromSeconds(5);

    public static async Task PumpAsync(StreamReader reader, Action<string> sink)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            sink(line);
        }
    }

    /// <summary>Waits for <paramref name="pumps"/> to reach the end of their streams, for at most <see cref="DrainAfterKill"/>.</summary>
    public static async Task DrainAsync(Task pumps)
    {
        try
        {
            await pumps.WaitAsync(DrainAfterKill);
        }
        catch (TimeoutException)
        {
            // A daemon outside the killed tree still holds the pipe: keep what was read.
        }
    }
}
