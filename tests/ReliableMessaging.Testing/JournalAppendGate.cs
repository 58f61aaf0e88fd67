namespace ReliableMessaging.Testing;

/// <summary>
/// Holds an account's journal appends (<see cref="JournalFaults.HoldAppends"/>) until <see cref="Open"/>,
/// and signals what a test otherwise could only wait for: that an append is being held, and that every
/// append it held has run to its end after it opened (stored, or failed: a killed silo's journal writer
/// may refuse it).
/// </summary>
public sealed class JournalAppendGate
{
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _holding = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _heldFinished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _held;

    /// <summary>Completes when the first append arrives while the gate is closed.</summary>
    public Task Holding => _holding.Task;

    /// <summary>Completes when the gate is open and every append it held has finished, whatever its outcome.</summary>
    public Task HeldAppendsFinished => _heldFinished.Task;

    /// <summary>Lets the held appends, and every later one, through.</summary>
    public void Open() => _open.TrySetResult();

    /// <summary>Runs <paramref name="append"/> once the gate is open, counting it as held when it had to wait.</summary>
    internal async Task PassAsync(Func<Task> append)
    {
        // Counted before the first await, so no held append can be missed by HeldAppendsFinished.
        var held = !_open.Task.IsCompleted;
        if (held)
        {
            Interlocked.Increment(ref _held);
            _holding.TrySetResult();
        }

        try
        {
            await _open.Task;
            await append();
        }
        finally
        {
            // Held appends finish only after the gate opened, so reaching zero means all of them did.
            if (held && Interlocked.Decrement(ref _held) == 0)
            {
                _heldFinished.TrySetResult();
            }
        }
    }
}
