using System.Collections.Concurrent;
using ReliableMessaging.Client;

namespace ReliableMessaging.Api.Tests.Client;

/// <summary>Keeps every attempt the client reports.</summary>
public sealed class RecordingObserver : IReliableMessagingObserver
{
    private readonly ConcurrentQueue<AttemptRecord> _attempts = new();

    public IReadOnlyList<AttemptRecord> Attempts => [.. _attempts];

    public void OnAttempt(AttemptRecord attempt) => _attempts.Enqueue(attempt);
}
