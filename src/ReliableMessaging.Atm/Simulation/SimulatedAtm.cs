using ReliableMessaging.Atm.Attack;
using ReliableMessaging.Atm.Checking;
using ReliableMessaging.Atm.Reporting;
using ReliableMessaging.Client;

namespace ReliableMessaging.Atm.Simulation;

/// <summary>
/// One ATM: opens its accounts, then issues deposits and withdrawals one at a time, each with a
/// fresh UUIDv7 key, retrying it (same key, same body) until it has an answer. Now and then it sends
/// an answered operation once more on purpose, as if the answer had been lost, and checks that the
/// replay is the same answer. With an <see cref="Attacker"/>, it lets the attacker go after some of its
/// transfers and operations (before, while and after they run); with <c>aheadRatio</c>, some transfer IDs
/// are stamped ahead of its clock.
/// </summary>
public sealed class SimulatedAtm
{
    private readonly string _name;
    private readonly int _accountCount;
    private readonly int _operationsPerAccount;
    private readonly TimeSpan _thinkTime;
    private readonly double _duplicateRate;
    private readonly double _transferRatio;
    private readonly ReliableMessagingClient _bank;
    private readonly OperationJournal _journal;
    private readonly RunCounters _counters;
    private readonly ThroughputRecorder _throughput;
    private readonly Random _random;
    private readonly List<AccountSlot> _accounts = [];
    private readonly IReadOnlyList<string>? _sharedAccounts;
    private readonly Attacker? _attacker;
    private readonly double _aheadRatio;
    private readonly TimeSpan _aheadBy;
    private int _accountSequence;

    // operationsPerAccount: after that many operations an account of its own is swapped for a fresh one (0: never).
    // sharedAccounts: accounts every ATM plays on (hot-account mode), opened by the run; null: the ATM opens its own.
    // attacker: goes after some of this ATM's keys (null: none); aheadRatio of the transfers get IDs stamped aheadBy in the future.
    public SimulatedAtm(string name, int accountCount, int operationsPerAccount, TimeSpan thinkTime, double duplicateRate, double transferRatio,
        ReliableMessagingClient bank, OperationJournal journal, RunCounters counters, ThroughputRecorder throughput, int seed, IReadOnlyList<string>? sharedAccounts = null,
        Attacker? attacker = null, double aheadRatio = 0, TimeSpan aheadBy = default)
    {
        _attacker = attacker;
        _aheadRatio = aheadRatio;
        _aheadBy = aheadBy;
        _throughput = throughput;
        _sharedAccounts = sharedAccounts;
        _transferRatio = transferRatio;
        _name = name;
        _accountCount = accountCount;
        _operationsPerAccount = operationsPerAccount;
        _thinkTime = thinkTime;
        _duplicateRate = duplicateRate;
        _bank = bank;
        _journal = journal;
        _counters = counters;
        _random = new Random(seed);
    }

    /// <summary>Opens the accounts; false when one could not be opened (already reported).</summary>
    public async Task<bool> OpenAccountsAsync(CancellationToken abort)
    {
        if (_sharedAccounts is not null)
        {
            // Each ATM keeps its own view (operations sent, last balance seen) of the shared accounts.
            _accounts.AddRange(_sharedAccounts.Select(id => new AccountSlot(id)));
            return true;
        }

        while (_accounts.Count < _accountCount)
        {
            var account = await OpenNewAccountAsync(abort);
            if (account is null)
            {
                return false;
            }

            _accounts.Add(account);
        }

        return true;
    }

    /// <summary>
    /// Plays until <paramref name="stopIssuing"/> fires; the operation in progress then still gets its
    /// retries, so that it ends answered or honestly unanswered.
    /// </summary>
    public async Task RunAsync(CancellationToken stopIssuing, CancellationToken abort)
    {
        while (!stopIssuing.IsCancellationRequested && !abort.IsCancellationRequested)
        {
            var slot = _accounts[_random.Next(_accounts.Count)];
            if (_transferRatio > 0 && _random.NextDouble() < _transferRatio && NextTransfer(slot) is { } transfer)
            {
                await TransferAsync(slot, transfer.Request, transfer.Ahead, abort);
            }
            else
            {
                await OperateAsync(slot, abort);
            }

            if (_sharedAccounts is null && _operationsPerAccount > 0 && slot.Operations >= _operationsPerAccount && !await RetireAsync(slot, abort))
            {
                return;
            }

            await PauseAsync(stopIssuing);
        }
    }

    private async Task OperateAsync(AccountSlot slot, CancellationToken abort)
    {
        var intent = NextIntent(slot);
        slot.Operations++;
        _counters.Increment(Counter.OperationsIssued);
        var entry = _journal.Add(intent);
        var answer = await _bank.SendAsync(intent, abort);
        entry.Answer = answer;
        NoteCompletion(answer.Kind);
        Observe(slot, intent, answer);

        if (answer.IsAcknowledged && _random.NextDouble() < _duplicateRate)
        {
            await SendDuplicateAsync(intent, answer, abort);
        }

        if (answer.IsAcknowledged && _attacker is not null && _attacker.Targets(_random))
        {
            await _attacker.AfterAcknowledgedAsync(intent, _journal.ActiveAccounts, _random, abort);
        }
    }

    // A transfer from one of this ATM's accounts to any other account of the run (all exist, so every
    // accepted transfer must end completed). Retried like an operation: same key, same body; 429 backs off.
    private (TransferRequest Request, bool Ahead)? NextTransfer(AccountSlot slot)
    {
        var accounts = _journal.ActiveAccounts;
        if (accounts.Count < 2)
        {
            return null;
        }

        string to;
        do
        {
            to = accounts[_random.Next(accounts.Count)];
        }
        while (to == slot.AccountId);

        // Mostly within the known balance, sometimes beyond it, so that some transfers are refused (422).
        var amount = slot.KnownBalance > 1 && _random.NextDouble() < 0.85
            ? _random.NextInt64(1, Math.Min(slot.KnownBalance, 800) + 1)
            : _random.Next(1, 1001);
        // Some IDs come from a clock running ahead: a source whose clock is further behind refuses them as from the
        // future (never executed); a destination whose clock is behind the source's refuses the credit until it catches up.
        var ahead = _aheadRatio > 0 && _random.NextDouble() < _aheadRatio;
        var id = ahead ? Guid.CreateVersion7(DateTimeOffset.UtcNow + _aheadBy) : Guid.CreateVersion7();
        return (new TransferRequest(id, slot.AccountId, to, amount), ahead);
    }

    private async Task TransferAsync(AccountSlot slot, TransferRequest intent, bool ahead, CancellationToken abort)
    {
        slot.Operations++;
        _counters.Increment(Counter.TransfersIssued);
        if (ahead)
        {
            _counters.Increment(Counter.AheadTransfers);
        }

        var entry = _journal.Add(intent);
        entry.Ahead = ahead;

        // The attacker learnt the transfer's ID before it was sent, and keeps trying while it runs.
        var attacked = _attacker is not null && _attacker.Targets(_random);
        if (attacked)
        {
            await _attacker!.PreemptAsync(intent, _random, abort);
        }

        var sending = _bank.SendAsync(intent, abort);
        if (attacked)
        {
            await Task.WhenAll(sending, _attacker!.InterfereAsync(intent, _random, abort));
        }

        var answer = await sending;
        entry.Answer = answer;
        NoteCompletion(answer.Kind);
        if (answer.Kind == OutcomeKind.Succeeded)
        {
            slot.KnownBalance -= intent.Amount;
            if (answer.Transfer?.Status is not (TransferStatus.Pending or TransferStatus.Completed))
            {
                _journal.AddViolation(new Violation("transfer-not-completed", intent.From, intent.TransferId,
                    $"accepted with status {answer.Transfer?.Status}, but the destination {intent.To} exists"));
            }
        }
        else if (Answers.IsRefusedAsAhead(entry))
        {
            // The source's clock is behind this client's by more than the skew it tolerates: refused, and
            // never executed (the reconciliation looks it up).
            _counters.Increment(Counter.AheadTransfersRefused);
        }
        else if (Answers.IsExpired(answer.Kind, answer.Error))
        {
            _journal.AddViolation(new Violation("unexpected-expired", intent.From, intent.TransferId, $"transfer: {answer.Detail}"));
        }
        else if (Answers.IsUnexpected(answer.Kind, answer.Error))
        {
            _journal.AddViolation(new Violation("unexpected-answer", intent.From, intent.TransferId, $"transfer to {intent.To}: {answer.Detail}"));
        }

        if (answer.IsAcknowledged && _random.NextDouble() < _duplicateRate)
        {
            _counters.Increment(Counter.DuplicatesSent);
            var again = await _bank.SendAsync(intent, abort);
            // A 202 replay shows the current status (it may have completed since), of the same transfer;
            // a 422 is replayed identically.
            var same = again.StatusCode == answer.StatusCode && again.IsReplay && again.Kind == answer.Kind
                && (answer.Kind != OutcomeKind.InsufficientFunds || again.Body == answer.Body)
                && (answer.Transfer is not { } first || SameTransfer(first, again.Transfer));
            if (!Answers.IsNoAnswer(again.Kind, again.Error) && !same)
            {
                _journal.AddViolation(new Violation("replay-differs", intent.From, intent.TransferId,
                    $"transfer: first answer {answer.StatusCode} {answer.Body}; the same request again: {again.StatusCode} {again.Body} (Idempotent-Replayed: {again.IsReplay})"));
            }
        }

        if (attacked && answer.Kind == OutcomeKind.Succeeded)
        {
            await _attacker!.AfterAcceptedAsync(intent, _journal.ActiveAccounts, _random, abort);
        }
    }

    private Task<AccountSlot?> OpenNewAccountAsync(CancellationToken abort) =>
        OpenAccountAsync($"{_name}-{++_accountSequence:D3}", _bank, _journal, _counters, abort);

    /// <summary>Opens one account of the run and registers it with the checker; null when it could not be opened (reported).</summary>
    public static async Task<AccountSlot?> OpenAccountAsync(string accountId, ReliableMessagingClient bank, OperationJournal journal, RunCounters counters, CancellationToken abort)
    {
        ArgumentNullException.ThrowIfNull(bank);
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(counters);
        if (!(await bank.OpenAccountAsync(accountId, abort)).Succeeded)
        {
            journal.AddSetupError($"account {accountId} could not be opened");
            return null;
        }

        counters.Increment(Counter.AccountsOpened);
        journal.AddAccount(accountId);
        return new AccountSlot(accountId);
    }

    // With --retire-after, an ATM moves on to fresh accounts now and then (many accounts, few
    // operations each); every outcome stays verifiable either way: the journal keeps them all.
    private async Task<bool> RetireAsync(AccountSlot slot, CancellationToken abort)
    {
        var fresh = await OpenNewAccountAsync(abort);
        if (fresh is null)
        {
            return false;
        }

        _accounts[_accounts.IndexOf(slot)] = fresh;
        _journal.Retire(slot.AccountId);
        return true;
    }

    private OperationRequest NextIntent(AccountSlot slot)
    {
        // Mostly deposits while the balance is low, so that withdrawals mostly have something to take
        // and some are still refused (refusals are recorded outcomes too).
        var deposit = slot.KnownBalance < 500 ? _random.NextDouble() < 0.75 : _random.NextDouble() < 0.45;
        return deposit
            ? new OperationRequest(slot.AccountId, Guid.CreateVersion7(), OperationKind.Deposit, _random.Next(1, 1001))
            : new OperationRequest(slot.AccountId, Guid.CreateVersion7(), OperationKind.Withdrawal, _random.Next(1, 1201));
    }

    private void Observe(AccountSlot slot, OperationRequest intent, OperationOutcome answer)
    {
        if (answer.BalanceAfter is { } balance)
        {
            slot.KnownBalance = balance;
            if (balance < 0)
            {
                _journal.AddViolation(new Violation("negative-balance", intent.AccountId, intent.OperationId, $"the answer reported a balance of {balance}"));
            }
        }

        if (Answers.IsExpired(answer.Kind, answer.Error))
        {
            _journal.AddViolation(new Violation("unexpected-expired", intent.AccountId, intent.OperationId,
                $"{answer.Detail}: a fresh key refused as too old (this ATM had sent {slot.Operations} operations to the account)"));
        }
        else if (Answers.IsUnexpected(answer.Kind, answer.Error))
        {
            _journal.AddViolation(new Violation("unexpected-answer", intent.AccountId, intent.OperationId, answer.Detail));
        }
    }

    private async Task SendDuplicateAsync(OperationRequest intent, OperationOutcome first, CancellationToken abort)
    {
        _counters.Increment(Counter.DuplicatesSent);
        var again = await _bank.SendAsync(intent, abort);
        if (Answers.IsNoAnswer(again.Kind, again.Error))
        {
            // Not a verdict either way: the checker's operation lookup still verifies the outcome.
            return;
        }

        if (!Answers.IsSameReplay(first, again))
        {
            _journal.AddViolation(new Violation("replay-differs", intent.AccountId, intent.OperationId,
                $"first answer {first.StatusCode} {first.Body}; the same request again: {again.StatusCode} {again.Body} (Idempotent-Replayed: {again.IsReplay})"));
        }
    }

    private void NoteCompletion(OutcomeKind kind)
    {
        if (kind != OutcomeKind.Unanswered)
        {
            _throughput.Completed();
        }
    }

    private async Task PauseAsync(CancellationToken stopIssuing)
    {
        if (_thinkTime <= TimeSpan.Zero)
        {
            return;
        }

        var pause = _thinkTime * (0.5 + _random.NextDouble());
        try
        {
            await Task.Delay(pause, stopIssuing);
        }
        catch (OperationCanceledException)
        {
            // The run is over; the loop condition ends this ATM.
        }
    }

    /// <summary>The same transfer (its status may have moved on since).</summary>
    private static bool SameTransfer(TransferInfo first, TransferInfo? again) =>
        again is not null && (again.TransferId, again.From, again.To, again.Amount) == (first.TransferId, first.From, first.To, first.Amount);
}
