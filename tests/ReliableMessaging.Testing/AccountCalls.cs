namespace ReliableMessaging.Testing;

/// <summary>
/// Signals for calls reaching account grains in the test cluster (<see cref="AccountCallSignalingFilter"/>).
/// A call counts as started once the grain has run it up to its first wait: for a deposit or withdrawal
/// that means decided and enlisted in a write (the pipeline never awaits between the two), so a test that
/// holds a write knows, rather than guesses, that later calls are queued behind it. Calls are told apart
/// by method and first argument (the operation or transfer ID), so tests in parallel do not disturb each other.
/// </summary>
public static class AccountCalls
{
    private static readonly Lock Sync = new();
    private static readonly List<Watch> Watches = [];

    /// <summary>
    /// Completes once, on <paramref name="accountId"/>, one call of <paramref name="method"/> (e.g.
    /// <c>nameof(IAccountGrain.Withdraw)</c>) per entry of <paramref name="ids"/> (an ID listed twice waits
    /// for two calls) has started after this call. Its result says whether every one of them was then still
    /// waiting, not answered at once.
    /// </summary>
    public static Task<bool> WhenStarted(string accountId, string method, IEnumerable<Guid> ids)
    {
        var watch = new Watch(accountId, method, [.. ids]);
        if (watch.Remaining.Count == 0)
        {
            return Task.FromResult(true);
        }

        lock (Sync)
        {
            Watches.Add(watch);
        }

        return watch.Started.Task;
    }

    internal static void SignalStarted(string accountId, string method, Guid id, bool waiting)
    {
        lock (Sync)
        {
            var watch = Watches.Find(w => w.AccountId == accountId && w.Method == method && w.Remaining.Contains(id));
            if (watch is null)
            {
                return;
            }

            watch.Remaining.Remove(id);
            watch.AllWaiting &= waiting;
            if (watch.Remaining.Count == 0)
            {
                Watches.Remove(watch);
                watch.Started.TrySetResult(watch.AllWaiting);
            }
        }
    }

    private sealed class Watch(string accountId, string method, List<Guid> remaining)
    {
        public string AccountId { get; } = accountId;

        public string Method { get; } = method;

        public List<Guid> Remaining { get; } = remaining;

        public bool AllWaiting { get; set; } = true;

        public TaskCompletionSource<bool> Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
