using ReliableMessaging.Atm.Bank;
using ReliableMessaging.Atm.Simulation;

namespace ReliableMessaging.Atm.Checking;

/// <summary>
/// After the run: looks every operation up through the operations endpoint and every balance up
/// through the accounts endpoint, and reports each broken promise as a <see cref="Violation"/>:
/// <list type="bullet">
/// <item>an acknowledged operation is found, with the outcome the ATM was told (nothing acknowledged is lost);</item>
/// <item>each balance equals the succeeded deposits minus the succeeded withdrawals over distinct operation IDs,
/// and is never negative (nothing ran twice);</item>
/// <item>an operation that never got an answer is found executed once or not at all, and stays so.</item>
/// </list>
/// </summary>
public sealed class Reconciler(BankClient bank, OperationJournal journal, int parallelism)
{
    public int ResolvedExecuted { get; private set; }

    public int ResolvedNotExecuted { get; private set; }

    public async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(journal.Entries, parallel, async (entry, token) =>
            entry.Lookup = await bank.GetOperationAsync(entry.Intent.AccountId, entry.Intent.OperationId, token));

        foreach (var entry in journal.Entries)
        {
            CheckOutcome(entry);
        }

        var expected = journal.Entries
            .Where(entry => entry.Lookup!.Succeeded)
            .GroupBy(entry => entry.Intent.AccountId)
            .ToDictionary(group => group.Key, group => group.DistinctBy(entry => entry.Intent.OperationId).Sum(entry => entry.Intent.Effect));
        await Parallel.ForEachAsync(journal.Accounts, parallel, async (accountId, token) =>
        {
            var balance = await bank.GetBalanceAsync(accountId, token);
            var sum = expected.GetValueOrDefault(accountId);
            if (balance is null)
            {
                journal.AddViolation(new Violation("balance-unreadable", accountId, null, "GET /accounts/{id} gave no balance"));
            }
            else if (balance != sum)
            {
                journal.AddViolation(new Violation("balance-mismatch", accountId, null,
                    $"balance {balance}, but the succeeded operations add up to {sum}: {(balance > sum ? "money appeared" : "money vanished")} (an operation executed twice or was lost)"));
            }
            else if (balance < 0)
            {
                journal.AddViolation(new Violation("negative-balance", accountId, null, $"balance {balance}"));
            }
        });

        // An operation resolved as "never ran" must not run afterwards: look again now that the
        // balances are read, so that a late execution is caught rather than silently mis-resolved.
        var notExecuted = journal.Entries.Where(entry => entry.Answer!.Kind == AnswerKind.Unanswered && entry.Lookup!.Kind == LookupKind.NotFound).ToList();
        await Parallel.ForEachAsync(notExecuted, parallel, async (entry, token) =>
        {
            var again = await bank.GetOperationAsync(entry.Intent.AccountId, entry.Intent.OperationId, token);
            if (again.Kind != LookupKind.NotFound)
            {
                journal.AddViolation(new Violation("late-execution", entry.Intent.AccountId, entry.Intent.OperationId,
                    $"resolved as never executed, then found: {again.Detail} {again.Status}"));
            }
        });
    }

    private void CheckOutcome(JournalEntry entry)
    {
        var intent = entry.Intent;
        var answer = entry.Answer!;
        var lookup = entry.Lookup!;
        if (lookup.Kind == LookupKind.Found && (lookup.OperationKind != intent.KindName || lookup.Amount != intent.Amount))
        {
            journal.AddViolation(new Violation("record-differs", intent.AccountId, intent.OperationId,
                $"sent {intent.KindName} of {intent.Amount}, recorded {lookup.OperationKind} of {lookup.Amount}"));
        }

        if (lookup.Kind == LookupKind.Found && lookup.BalanceAfter < 0)
        {
            journal.AddViolation(new Violation("negative-balance", intent.AccountId, intent.OperationId, $"recorded balance after: {lookup.BalanceAfter}"));
        }

        switch (answer.Kind)
        {
            case AnswerKind.Succeeded or AnswerKind.InsufficientFunds:
                var told = answer.Kind == AnswerKind.Succeeded ? "succeeded" : "insufficient-funds";
                if (lookup.Kind != LookupKind.Found)
                {
                    journal.AddViolation(new Violation(lookup.Kind == LookupKind.NotFound ? "acknowledged-operation-lost" : "acknowledged-operation-unverifiable",
                        intent.AccountId, intent.OperationId, $"answered {told}, but the operations endpoint says: {lookup.Detail}"));
                }
                else if (lookup.Status != told || lookup.BalanceAfter != answer.BalanceAfter)
                {
                    journal.AddViolation(new Violation("outcome-differs", intent.AccountId, intent.OperationId,
                        $"answered {told} with balance {answer.BalanceAfter}, recorded {lookup.Status} with balance {lookup.BalanceAfter}"));
                }

                break;
            case AnswerKind.Unanswered:
                switch (lookup.Kind)
                {
                    case LookupKind.Found:
                        ResolvedExecuted++;
                        break;
                    case LookupKind.NotFound:
                        ResolvedNotExecuted++;
                        break;
                    default:
                        journal.AddViolation(new Violation("unresolved", intent.AccountId, intent.OperationId,
                            $"never answered ({answer.Detail}), and the operations endpoint says: {lookup.Detail}"));
                        break;
                }

                break;
            case AnswerKind.Expired:
                if (lookup.Kind == LookupKind.Found)
                {
                    journal.AddViolation(new Violation("refused-but-executed", intent.AccountId, intent.OperationId,
                        $"answered 409 idempotency-key-expired, but recorded as {lookup.Status}"));
                }

                break;
        }
    }
}
