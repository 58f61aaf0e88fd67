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

        // Exhaustive: a new kind of attempt result fails the build until it is counted (or deliberately not).
        Counter? outcome = attempt.Result switch
        {
            AttemptResult.Answered when attempt.Replayed => Counter.Replays,
            AttemptResult.Answered => null,
            AttemptResult.Timeout => Counter.Timeouts,
            AttemptResult.ConnectionFailed or AttemptResult.CircuitOpen => Counter.ConnectionErrors,
            AttemptResult.TooManyRequests => Counter.TooManyPendingTransfers,
            AttemptResult.ServerError => Counter.ServerErrors,
            AttemptResult.AccessTokenFailed => Counter.ConnectionErrors,
            // Ran nothing, and is sent again at once with a fresh token: counted as an attempt and the retry only.
            AttemptResult.TokenRefused => null,
            AttemptResult.Unavailable => attempt.ProblemCode switch
            {
                "storage-unavailable" => Counter.StorageUnavailable,
                "cluster-unavailable" => Counter.ClusterUnavailable,
                _ => Counter.ServerErrors,
            },
        };
        if (outcome is { } counter)
        {
            counters.Increment(counter);
        }
    }
}
