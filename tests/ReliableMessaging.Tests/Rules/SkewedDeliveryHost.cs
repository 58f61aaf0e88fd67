using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;
using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Tests.Rules;

/// <summary>
/// A source account and its destinations on silos whose clocks disagree, answered at once by the real
/// <see cref="AccountRules"/>: the source debits by its clock, each destination admits a credit by its
/// own (the real time shifted by its silo's offset). Timers run at the real pace, as on a skewed host;
/// <see cref="TimerDueAt"/> is when the one pending retry timer fires. Every credit attempt is kept with
/// the real time it was answered at.
/// </summary>
internal sealed class SkewedDeliveryHost : ITransferDeliveryHost
{
    private readonly AccountRules _rules;
    private readonly ManualClock _real;
    private readonly TimeProvider _sourceClock;
    private readonly Dictionary<string, (AccountState State, TimeSpan Offset)> _destinations = [];

    public SkewedDeliveryHost(AccountRules rules, ManualClock real, TimeProvider sourceClock, long sourceBalance)
    {
        _rules = rules;
        _real = real;
        _sourceClock = sourceClock;
        AccountRules.Open(Source);
        Source.Balance = sourceBalance;
    }

    public AccountState Source { get; } = new();

    /// <summary>Every credit the source sent: when (real time), to whom, under which ID, and the answer.</summary>
    public List<(DateTimeOffset At, Guid TransferId, string To, Guid CreditId, OperationStatus Status)> Credits { get; } = [];

    /// <summary>The delay of every retry timer scheduled, in order.</summary>
    public List<TimeSpan> Timers { get; } = [];

    /// <summary>When the pending retry timer fires (real time); null when none is pending.</summary>
    public DateTimeOffset? TimerDueAt { get; private set; }

    public bool IsRetired => false;

    IReadOnlyList<PendingTransfer> ITransferDeliveryHost.CommittedOutbox => Source.PendingTransfers;

    /// <summary>Opens a destination on a silo whose clock is shifted by <paramref name="offset"/> from the real time.</summary>
    public void AddDestination(string accountId, TimeSpan offset)
    {
        var state = new AccountState();
        AccountRules.Open(state);
        _destinations.Add(accountId, (state, offset));
    }

    public AccountState Destination(string accountId) => _destinations[accountId].State;

    /// <summary>Destinations whose silo does not answer (paused, partitioned): their credits time out.</summary>
    public HashSet<string> Unreachable { get; } = [];

    /// <summary>The destination's admission of a credit at its silo's "now".</summary>
    public OperationResult Receive(string to, Guid creditId, long amount)
    {
        var (state, offset) = _destinations[to];
        return _rules.Process(state, new OperationRequest(OperationKind.TransferIn, creditId, amount, "source"), _real.Now + offset);
    }

    /// <summary>The debit and the outbox entry, decided by the source's clock.</summary>
    public Task<OperationResult> Debit(Guid transferId, string to, long amount) =>
        Task.FromResult(_rules.Process(Source, new OperationRequest(OperationKind.TransferOut, transferId, amount, to), _sourceClock.GetUtcNow()));

    public Task<OperationResult> SendCreditAsync(PendingTransfer transfer, Guid creditId)
    {
        if (Unreachable.Contains(transfer.To))
        {
            return Task.FromException<OperationResult>(new TimeoutException($"{transfer.To} did not answer"));
        }

        var answer = Receive(transfer.To, creditId, transfer.Amount);
        Credits.Add((_real.Now, transfer.TransferId, transfer.To, creditId, answer.Status));
        return Task.FromResult(answer);
    }

    public Task<bool> FinishAsync(PendingTransfer transfer, TransferState outcome, DateTimeOffset now, string? issuedBy = null) =>
        Task.FromResult(outcome == TransferState.Completed
            ? _rules.CompleteTransfer(Source, transfer.TransferId, now, issuedBy)
            : _rules.RefundTransfer(Source, transfer.TransferId, now, issuedBy));

    public Task RegisterReminderAsync() => Task.CompletedTask;

    public Task UnregisterReminderAsync() => Task.CompletedTask;

    public Task ConfirmStateAsync() => Task.CompletedTask;

    public void ScheduleRetry(TimeSpan dueTime)
    {
        Timers.Add(dueTime);
        TimerDueAt = _real.Now + dueTime;
    }

    /// <summary>Moves the real time to the pending timer and fires it.</summary>
    public void FireTimer(TransferDelivery delivery)
    {
        _real.Now = TimerDueAt ?? throw new InvalidOperationException("no retry timer is pending");
        TimerDueAt = null;
        delivery.OnTimer();
    }
}
