using ReliableMessaging.Contracts.Accounts;
using ReliableMessaging.Contracts.Transfers;
using ReliableMessaging.Grains.Accounts;

namespace ReliableMessaging.Tests.Rules;

/// <summary>
/// The account as <see cref="TransferDelivery"/> sees it, with every call held until the test
/// answers it. Continuations run inline when the test completes a call, so each interleaving is
/// played step by step on the test's thread. It also keeps the durable truth (the outbox and the
/// reminder row) and records any moment the outbox held money while no reminder row existed.
/// </summary>
internal sealed class FakeDeliveryHost : ITransferDeliveryHost
{
    public List<PendingTransfer> Outbox { get; } = [];

    public bool ReminderRowExists { get; private set; }

    /// <summary>Set when the committed outbox was non-empty while the reminder row was missing.</summary>
    public bool WindowWithoutReminder { get; private set; }

    public List<(PendingTransfer Transfer, TaskCompletionSource<OperationResult> Write)> Debits { get; } = [];

    public List<(PendingTransfer Transfer, Guid CreditId, TaskCompletionSource<OperationResult> Answer)> Credits { get; } = [];

    public List<(PendingTransfer Transfer, TransferState Outcome, string? IssuedBy, TaskCompletionSource<bool> Write)> Finishes { get; } = [];

    public List<TaskCompletionSource> Registers { get; } = [];

    public List<TaskCompletionSource> Unregisters { get; } = [];

    public List<TimeSpan> Timers { get; } = [];

    public bool IsRetired { get; set; }

    IReadOnlyList<PendingTransfer> ITransferDeliveryHost.CommittedOutbox => Outbox;

    public Task<OperationResult> SendCreditAsync(PendingTransfer transfer, Guid creditId)
    {
        var answer = new TaskCompletionSource<OperationResult>();
        Credits.Add((transfer, creditId, answer));
        return answer.Task;
    }

    public Task<bool> FinishAsync(PendingTransfer transfer, TransferState outcome, DateTimeOffset now, string? issuedBy = null)
    {
        var write = new TaskCompletionSource<bool>();
        Finishes.Add((transfer, outcome, issuedBy, write));
        return write.Task;
    }

    public Task RegisterReminderAsync()
    {
        var call = new TaskCompletionSource();
        Registers.Add(call);
        return call.Task;
    }

    public Task UnregisterReminderAsync()
    {
        var call = new TaskCompletionSource();
        Unregisters.Add(call);
        return call.Task;
    }

    /// <summary>Set when this host plays an older activation: its checked write fails on the row's ETag.</summary>
    public bool IsStale { get; set; }

    public int Confirms { get; private set; }

    public Task ConfirmStateAsync()
    {
        Confirms++;
        return IsStale ? Task.FromException(new AccountStorageException("the row changed since this activation loaded it", isConflict: true)) : Task.CompletedTask;
    }

    public void ScheduleRetry(TimeSpan dueTime) => Timers.Add(dueTime);

    /// <summary>The debit step of a start: held until <see cref="CommitDebit"/>.</summary>
    public Task<OperationResult> Debit(PendingTransfer transfer)
    {
        var write = new TaskCompletionSource<OperationResult>();
        Debits.Add((transfer, write));
        return write.Task;
    }

    public void CommitDebit(int index)
    {
        var (transfer, write) = Debits[index];
        Outbox.Add(transfer);
        Check();
        write.SetResult(new OperationResult(transfer.TransferId, OperationKind.TransferOut, transfer.Amount, OperationStatus.Succeeded, 0, IsReplay: false));
    }

    /// <summary>The debit's state write failed: nothing debited.</summary>
    public void FailDebit(int index) => Debits[index].Write.SetException(new AccountStorageException("the state write failed"));

    public void AnswerCredit(int index, OperationStatus status)
    {
        var (transfer, creditId, answer) = Credits[index];
        answer.SetResult(new OperationResult(creditId, OperationKind.TransferIn, transfer.Amount, status, null, IsReplay: false));
    }

    public void FailCredit(int index) => Credits[index].Answer.SetException(new TimeoutException("no answer from the destination"));

    public void CommitFinish(int index)
    {
        var (transfer, _, _, write) = Finishes[index];
        Outbox.Remove(transfer);
        write.SetResult(true);
    }

    /// <summary>The outcome's write failed: the pipeline faults (the activation retires) and the caller gets the error.</summary>
    public void FailFinish(int index)
    {
        IsRetired = true;
        Finishes[index].Write.SetException(new AccountStorageException("disk on fire"));
    }

    public void CompleteRegister(int index)
    {
        ReminderRowExists = true;
        Registers[index].SetResult();
    }

    public void FailRegister(int index, bool rowWritten, Exception? failure = null)
    {
        ReminderRowExists |= rowWritten;
        Registers[index].SetException(failure ?? new TimeoutException("reminder table did not answer"));
    }

    public void CompleteUnregister(int index)
    {
        ReminderRowExists = false;
        Check();
        Unregisters[index].SetResult();
    }

    public void FailUnregister(int index, bool rowDeleted, Exception? failure = null)
    {
        if (rowDeleted)
        {
            ReminderRowExists = false;
            Check();
        }

        Unregisters[index].SetException(failure ?? new TimeoutException("reminder table did not answer"));
    }

    private void Check() => WindowWithoutReminder |= Outbox.Count > 0 && !ReminderRowExists;
}
