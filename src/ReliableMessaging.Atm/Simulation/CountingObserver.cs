using ReliableMessaging.Client;

namespace ReliableMessaging.Atm.Simulation;

/// <summary>Feeds the client's attempts into the run's counters (progress line and summary).</summary>
public sealed class CountingObserver(RunCounters counters) : IReliableMessagingObserver
{
    public void OnAttempt(AttemptRecord attempt)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        if (attempt.Request is not (RequestKind.Operation or RequestKind.Transfer))
        {
            if (attempt.Attempt > 1)
            {
                counters.Increment(Counter.LookupRetries);
            }

            return;
        }

        counters.Increment(Counter.Attempts);
        if (attempt.Attempt > 1)
        {
            counters.Increment(Counter.Retries);
        }

        switch (attempt.Result)
        {
            case AttemptResult.Answered when attempt.Replayed:
                counters.Increment(Counter.Replays);
                break;
            case AttemptResult.Timeout:
                counters.Increment(Counter.Timeouts);
                break;
            case AttemptResult.ConnectionFailed or AttemptResult.CircuitOpen:
                counters.Increment(Counter.ConnectionErrors);
                break;
            case AttemptResult.TooManyRequests:
                counters.Increment(Counter.TooManyPendingTransfers);
                break;
            case AttemptResult.Unavailable:
                counters.Increment(attempt.ProblemCode switch
                {
                    "storage-unavailable" => Counter.StorageUnavailable,
                    "cluster-unavailable" => Counter.ClusterUnavailable,
                    _ => Counter.ServerErrors,
                });
                break;
        }
    }
}
