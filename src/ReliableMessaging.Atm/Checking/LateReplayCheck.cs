using ReliableMessaging.Atm.Simulation;
using ReliableMessaging.Client;

namespace ReliableMessaging.Atm.Checking;

/// <summary>
/// After the run, sends again the earliest acknowledged operations of each account: on a busy account
/// they have long left the grain's window, so the service answers them from the journal tier. Each must
/// come back exactly as first answered (status and body) and marked a replay, and execute nothing (the
/// reconciliation, which runs after, would see a second booking in the balance). The deliberate
/// duplicates during the run go out right after the answer, when the record is still in the window.
/// </summary>
public sealed class LateReplayCheck(ReliableMessagingClient bank, OperationJournal journal, int perAccount = 8)
{
    /// <summary>Operations sent again whose answer arrived and was compared.</summary>
    public int Compared { get; private set; }

    public async Task RunAsync(int parallelism, CancellationToken abort)
    {
        var earliest = journal.Entries
            .Where(entry => entry.Answer is { IsAcknowledged: true })
            .GroupBy(entry => entry.Intent.AccountId, StringComparer.Ordinal)
            .SelectMany(account => account.Take(perAccount))
            .ToList();
        var compared = 0;
        await Parallel.ForEachAsync(earliest, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = abort }, async (entry, token) =>
        {
            var first = entry.Answer!;
            var again = await bank.SendAsync(entry.Intent, token);
            if (Answers.IsNoAnswer(again.Kind, again.Error))
            {
                // No answer now: the reconciliation's look-up still verifies the outcome.
                return;
            }

            Interlocked.Increment(ref compared);
            if (!Answers.IsSameReplay(first, again))
            {
                journal.AddViolation(new Violation("late-replay-differs", entry.Intent.AccountId, entry.Intent.OperationId,
                    $"first answer {first.StatusCode} {first.Body}; the same request after the run: {again.StatusCode} {again.Body} (Idempotent-Replayed: {again.IsReplay})"));
            }
        });
        Compared = compared;
    }
}
