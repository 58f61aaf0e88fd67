using System.Diagnostics;

namespace ReliableMessaging.Testing;

/// <summary>
/// Waits for a state the system reaches on its own, by asking again: a transfer delivered by its retry
/// timer or reminder, a row removed in the background. No call of the test marks that moment, so this
/// polls, bounded by a deadline; order between a test's own steps is given by signals instead
/// (<see cref="StorageFaults"/>, <see cref="AccountCalls"/>).
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Reads with <paramref name="read"/> until <paramref name="reached"/> holds and returns that value; past
    /// <paramref name="timeout"/> throws with <paramref name="describe"/> of the last value read.
    /// </summary>
    public static async Task<T> ReachedAsync<T>(Func<Task<T>> read, Func<T, bool> reached, TimeSpan timeout, Func<T, string> describe)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(reached);
        ArgumentNullException.ThrowIfNull(describe);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (reached(value))
            {
                return value;
            }

            if (clock.Elapsed >= timeout)
            {
                throw new TimeoutException($"{describe(value)} after {timeout}.");
            }

            await Task.Delay(PollInterval);
        }
    }
}
