using System.Collections.Concurrent;
using ReliableMessaging.Client;

namespace ReliableMessaging.Api.Tests.Client;

/// <summary>Keeps every attempt the client reports.</summary>
public sealed class RecordingObserver : IReliableMessagingObserver
{
    private readonly ConcurrentQueue<AttemptRecord> _attempts = new();
    private int _throwOnAnswers;
    private Func<Exception> _exception = () => new InvalidOperationException("Injected: the observer failed.");

    public IReadOnlyList<AttemptRecord> Attempts => [.. _attempts];

    /// <summary>The next <paramref name="count"/> answered deposits or withdrawals make this observer throw (a bug of the application's).</summary>
    public void ThrowOnAnswers(int count, Func<Exception>? exception = null)
    {
        if (exception is not null)
        {
            _exception = exception;
        }

        Volatile.Write(ref _throwOnAnswers, count);
    }

    public void OnAttempt(AttemptRecord attempt)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        _attempts.Enqueue(attempt);
        if (attempt is { Request: RequestKind.Operation, Result: AttemptResult.Answered } && Interlocked.Decrement(ref _throwOnAnswers) >= 0)
        {
            throw _exception();
        }
    }
}
