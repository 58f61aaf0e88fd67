using ReliableMessaging.Atm.Simulation;
using ReliableMessaging.Client;

namespace ReliableMessaging.Atm.Checking;

/// <summary>
/// After the run: looks every operation up through the operations endpoint and every balance up
/// through the accounts endpoint, and reports each broken promise as a <see cref="Violation"/>:
/// <list type="bullet">
/// <item>an acknowledged operation is found, with the outcome the ATM was told (nothing acknowledged is lost);</item>
/// <item>each balance equals the succeeded deposits minus the succeeded withdrawals over distinct operation IDs,
/// and is never negative (nothing ran twice);</item>
/// <item>an operation that never got an answer is found executed once or not at all, and stays so;</item>
/// <item>every accepted (or unanswered) transfer is polled until it leaves pending (bounded wait): accepted ones
/// must end completed (refunded, stuck or still pending are violations, since every destination exists), an
/// unanswered one is accepted if found (200) and never executed if not (404);</item>
/// <item>with transfers, each balance is deposits - withdrawals - accepted outgoing + completed incoming
/// (+ refunded outgoing), and the sum over all accounts plus the money of transfers still in flight equals
/// all deposits - all withdrawals (money conserved; <see cref="ExpectedMoney"/>).</item>
/// </list>
/// </summary>
public sealed class Reconciler(ReliableMessagingClient bank, OperationJournal journal, int parallelism, TimeSpan transferWait)
{
    public int TransfersAccepted { get; private set; }

    public int TransfersCompleted { get; private set; }

    public int TransfersRefunded { get; private set; }

    public int TransfersStuck { get; private set; }

    public int TransfersPendingAtEnd { get; private set; }

    /// <summary>The money of accepted transfers neither completed nor refunded when the balances were read.</summary>
    public long TransfersInFlightAmount { get; private set; }

    public int TransfersResolvedExecuted { get; private set; }

    public int TransfersResolvedNotExecuted { get; private set; }

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

        await SettleTransfersAsync(parallel, cancellationToken);

        // Refused as from the future: never accepted. Not polled until final (for twice the response
        // timeout plus the skew its source has not confirmed it, and a look-up says so, 409): found
        // accepted is the violation (the balances would show the money too).
        var refusedAhead = journal.Transfers.Where(Answers.IsRefusedAsAhead).ToList();
        var foundAhead = new System.Collections.Concurrent.ConcurrentDictionary<Guid, bool>();
        await Parallel.ForEachAsync(refusedAhead, parallel, async (entry, token) =>
        {
            var lookup = await bank.GetTransferAsync(entry.Intent.TransferId, token);
            if (lookup.Kind == LookupKind.Found)
            {
                foundAhead[entry.Intent.TransferId] = true;
                journal.AddViolation(new Violation("refused-but-executed", entry.Intent.From, entry.Intent.TransferId,
                    $"answered {entry.Answer!.Detail}, but GET /transfers says: {lookup.Detail}"));
            }
        });

        var succeeded = journal.Entries.Where(entry => entry.Lookup!.Succeeded).DistinctBy(entry => entry.Intent.OperationId).Select(entry => entry.Intent).ToList();
        foreach (var violation in await CheckMoneyAsync(succeeded, parallel))
        {
            journal.AddViolation(violation);
        }

        // A transfer resolved as never accepted, or refused (as from the future too), must not be accepted
        // afterwards either: looked at again now that the balances are read, so that a late debit is caught.
        var notAccepted = journal.Transfers
            .Where(entry => (entry.Answer!.Kind is OutcomeKind.Unanswered or OutcomeKind.InsufficientFunds && entry.Lookup?.Kind == LookupKind.NotFound)
                            || (Answers.IsRefusedAsAhead(entry) && !foundAhead.ContainsKey(entry.Intent.TransferId)))
            .ToList();
        await Parallel.ForEachAsync(notAccepted, parallel, async (entry, token) =>
        {
            var again = await bank.GetTransferAsync(entry.Intent.TransferId, token);
            // Refused as from the future, its look-up may still say "not confirmed" (409) for the skew its source allows: only found is late.
            if (Answers.IsRefusedAsAhead(entry) ? again.Kind == LookupKind.Found : again.Kind != LookupKind.NotFound)
            {
                journal.AddViolation(new Violation("late-execution", entry.Intent.From, entry.Intent.TransferId,
                    $"transfer resolved as never accepted, then found: {again.Detail}"));
            }
        });

        // An operation resolved as "never ran" must not run afterwards: look again now that the
        // balances are read, so that a late execution is caught rather than silently mis-resolved.
        var notExecuted = journal.Entries.Where(entry => entry.Answer!.Kind == OutcomeKind.Unanswered && entry.Lookup!.Kind == LookupKind.NotFound).ToList();
        await Parallel.ForEachAsync(notExecuted, parallel, async (entry, token) =>
        {
            var again = await bank.GetOperationAsync(entry.Intent.AccountId, entry.Intent.OperationId, token);
            if (again.Kind != LookupKind.NotFound)
            {
                journal.AddViolation(new Violation("late-execution", entry.Intent.AccountId, entry.Intent.OperationId,
                    $"resolved as never executed, then found: {again.Detail}"));
            }
        });
    }

    /// <summary>
    /// Reads every balance and checks it against <see cref="ExpectedMoney"/>. Money of transfers still in
    /// flight counts as in flight, not as lost (those transfers are violations of their own). A transfer
    /// that finishes while the balances are read would make them disagree with the expectation, so the
    /// in-flight ones are looked up again afterwards; if any finished, the balances are read again
    /// (three rounds at most, then whatever disagrees is reported).
    /// </summary>
    private async Task<IReadOnlyList<Violation>> CheckMoneyAsync(IReadOnlyList<OperationRequest> succeeded, ParallelOptions parallel)
    {
        for (var round = 1; ; round++)
        {
            var expected = ExpectedMoney.From(succeeded, journal.Transfers);
            var read = new System.Collections.Concurrent.ConcurrentDictionary<string, long?>(StringComparer.Ordinal);
            await Parallel.ForEachAsync(journal.Accounts, parallel, async (accountId, token) =>
                read[accountId] = (await bank.GetAccountAsync(accountId, token)).Account?.Balance);
            TransfersInFlightAmount = expected.InFlight;

            var inFlight = journal.Transfers.Where(entry => entry.Lookup is { Kind: LookupKind.Found, IsFinal: false }).ToList();
            if (inFlight.Count == 0 || round == 3)
            {
                return expected.Check(read);
            }

            // A look-up that fails keeps the last answer: the transfer was accepted, whatever this one says.
            await Parallel.ForEachAsync(inFlight, parallel, async (entry, token) =>
            {
                var again = await bank.GetTransferAsync(entry.Intent.TransferId, token);
                if (again.Kind == LookupKind.Found)
                {
                    entry.Lookup = again;
                }
            });
            if (inFlight.TrueForAll(entry => !entry.Lookup!.IsFinal))
            {
                return expected.Check(read);
            }
        }
    }

    // Polls every accepted, unanswered or refused (insufficient funds) transfer until it is final (a
    // terminal status, or 404 for one never accepted), for at most transferWait; then judges each. A
    // refused one is recorded as refused: it must not have been accepted anyway (an earlier attempt of
    // the same ID committing after the refusal was answered).
    private async Task SettleTransfersAsync(ParallelOptions parallel, CancellationToken cancellationToken)
    {
        var open = journal.Transfers.Where(entry => entry.Answer!.Kind is OutcomeKind.Succeeded or OutcomeKind.Unanswered or OutcomeKind.InsufficientFunds).ToList();
        var wait = System.Diagnostics.Stopwatch.StartNew();
        while (open.Count > 0)
        {
            await Parallel.ForEachAsync(open, parallel, async (entry, token) =>
                entry.Lookup = await bank.GetTransferAsync(entry.Intent.TransferId, token));
            // A 404 counts as settled here (the traffic has stopped); a late start is caught below, as a late execution.
            open = open.Where(entry => entry.Lookup!.Kind != LookupKind.NotFound && !entry.Lookup.IsFinal).ToList();
            if (open.Count == 0 || wait.Elapsed >= transferWait)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }

        foreach (var entry in journal.Transfers)
        {
            var (intent, answer, lookup) = (entry.Intent, entry.Answer!, entry.Lookup);
            if (lookup is null)
            {
                // An unexpected answer, already judged by the ATM: never accepted.
                continue;
            }

            if (answer.Kind == OutcomeKind.InsufficientFunds)
            {
                if (lookup.Kind != LookupKind.NotFound)
                {
                    journal.AddViolation(new Violation("refused-but-executed", intent.From, intent.TransferId,
                        $"answered {answer.Detail}, but GET /transfers says: {lookup.Detail}"));
                }

                continue;
            }

            if (lookup.Transfer is { } recorded && (recorded.From != intent.From || recorded.To != intent.To || recorded.Amount != intent.Amount))
            {
                journal.AddViolation(new Violation("record-differs", intent.From, intent.TransferId,
                    $"sent a transfer of {intent.Amount} to {intent.To}, recorded {recorded.Amount} from {recorded.From} to {recorded.To}"));
            }

            if (answer.Kind == OutcomeKind.Unanswered)
            {
                switch (lookup.Kind)
                {
                    case LookupKind.Found:
                        TransfersResolvedExecuted++;
                        break;
                    case LookupKind.NotFound:
                        TransfersResolvedNotExecuted++;
                        continue;
                    default:
                        journal.AddViolation(new Violation("unresolved", intent.From, intent.TransferId,
                            $"transfer never answered ({answer.Detail}), and GET /transfers says: {lookup.Detail}"));
                        continue;
                }
            }
            else if (lookup.Kind != LookupKind.Found)
            {
                journal.AddViolation(new Violation(lookup.Kind == LookupKind.NotFound ? "acknowledged-transfer-lost" : "acknowledged-transfer-unverifiable",
                    intent.From, intent.TransferId, $"answered 202 {answer.Transfer?.Status}, but GET /transfers says: {lookup.Detail}"));
                continue;
            }

            TransfersAccepted++;
            switch (lookup.Transfer?.Status)
            {
                case TransferStatus.Completed:
                    TransfersCompleted++;
                    break;
                case TransferStatus.Refunded:
                    TransfersRefunded++;
                    journal.AddViolation(new Violation("transfer-refunded", intent.From, intent.TransferId, $"refunded, but the destination {intent.To} exists"));
                    break;
                case TransferStatus.Stuck:
                    TransfersStuck++;
                    journal.AddViolation(new Violation("transfer-stuck", intent.From, intent.TransferId, $"stuck on its way to {intent.To}"));
                    break;
                default:
                    TransfersPendingAtEnd++;
                    journal.AddViolation(new Violation("transfer-still-pending", intent.From, intent.TransferId,
                        $"still {lookup.Transfer?.Status} after {transferWait.TotalSeconds:0} s of waiting"));
                    break;
            }
        }
    }

    private void CheckOutcome(JournalEntry entry)
    {
        var intent = entry.Intent;
        var answer = entry.Answer!;
        var lookup = entry.Lookup!;
        var recorded = lookup.Operation;
        if (recorded is not null && (recorded.OperationId != intent.OperationId || recorded.AccountId != intent.AccountId
            || recorded.Kind != intent.Kind || recorded.Amount != intent.Amount))
        {
            journal.AddViolation(new Violation("record-differs", intent.AccountId, intent.OperationId,
                $"sent {intent.KindName} of {intent.Amount}, recorded {recorded.Kind} of {recorded.Amount} (operation {recorded.OperationId} of {recorded.AccountId})"));
        }

        if (recorded is not null && recorded.BalanceAfter < 0)
        {
            journal.AddViolation(new Violation("negative-balance", intent.AccountId, intent.OperationId, $"recorded balance after: {recorded.BalanceAfter}"));
        }

        var recordedStatus = recorded is null ? null : recorded.Succeeded ? "succeeded" : "insufficient-funds";
        switch (answer.Kind)
        {
            case OutcomeKind.Succeeded or OutcomeKind.InsufficientFunds:
                var told = answer.Kind == OutcomeKind.Succeeded ? "succeeded" : "insufficient-funds";
                if (lookup.Kind != LookupKind.Found)
                {
                    journal.AddViolation(new Violation(lookup.Kind == LookupKind.NotFound ? "acknowledged-operation-lost" : "acknowledged-operation-unverifiable",
                        intent.AccountId, intent.OperationId, $"answered {told}, but the operations endpoint says: {lookup.Detail}"));
                }
                else if (recordedStatus != told || recorded!.BalanceAfter != answer.BalanceAfter)
                {
                    journal.AddViolation(new Violation("outcome-differs", intent.AccountId, intent.OperationId,
                        $"answered {told} with balance {answer.BalanceAfter}, recorded {recordedStatus} with balance {recorded!.BalanceAfter}"));
                }

                break;
            case OutcomeKind.Unanswered:
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
            case OutcomeKind.Rejected when Answers.IsExpired(answer.Kind, answer.Error):
                if (lookup.Kind == LookupKind.Found)
                {
                    journal.AddViolation(new Violation("refused-but-executed", intent.AccountId, intent.OperationId,
                        $"answered 409 idempotency-key-expired, but recorded as {recordedStatus}"));
                }

                break;
        }
    }
}
