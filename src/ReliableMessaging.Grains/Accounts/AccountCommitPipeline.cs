using ReliableMessaging.Contracts.Accounts;

namespace ReliableMessaging.Grains.Accounts;

/// <summary>
/// Group commit for one account, as plain code over a persistence delegate. While a state write
/// is in flight, further operations are decided by <see cref="AccountLedger"/> against the pending
/// state (the "head") and gathered into the next batch, which is written as soon as the current
/// write ends. Every caller is answered only after the write that contains its operation
/// succeeded. If a write fails, every operation in it and in the batch gathered behind it (decided
/// on top of it) fails, the head returns to the last persisted state, and the pipeline refuses
/// further work: its owner retires and the next activation reloads from storage.
/// Reads (<see cref="Committed"/>, look-ups) only ever see persisted state. Not thread-safe: it
/// relies on the grain's single-threaded scheduler, and never awaits between deciding an
/// operation and enlisting it.
/// </summary>
public sealed class AccountCommitPipeline
{
    private readonly AccountLedger _ledger;
    private readonly Func<AccountState, Task> _persist;
    private readonly Action<Exception> _onFault;
    private readonly Dictionary<Guid, CommitBatch> _pendingOperations = [];
    private AccountState _committed;
    private AccountState _head;
    private CommitBatch? _inFlight;
    private CommitBatch? _next;
    private CommitBatch? _pendingOpen;
    private Exception? _fault;

    /// <param name="ledger">The exactly-once rules.</param>
    /// <param name="committed">The last persisted state; never mutated by the pipeline.</param>
    /// <param name="persist">Writes a state snapshot durably (one write); throws when it did not.</param>
    /// <param name="onFault">Called once, when a write failed.</param>
    public AccountCommitPipeline(AccountLedger ledger, AccountState committed, Func<AccountState, Task> persist, Action<Exception> onFault)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(committed);
        ArgumentNullException.ThrowIfNull(persist);
        ArgumentNullException.ThrowIfNull(onFault);
        _ledger = ledger;
        _committed = committed;
        _head = committed.Clone();
        _persist = persist;
        _onFault = onFault;
    }

    /// <summary>The last persisted state.</summary>
    public AccountState Committed => _committed;

    /// <summary>True once a write failed: the pipeline accepts nothing more.</summary>
    public bool IsFaulted => _fault is not null;

    /// <summary>State writes started so far (each carries one batch).</summary>
    public int WritesStarted { get; private set; }

    public Task<OpenAccountResult> OpenAsync()
    {
        ThrowIfFaulted();
        if (_committed.IsOpen)
        {
            return Task.FromResult(new OpenAccountResult(OpenAccountStatus.AlreadyOpen, _committed.Balance, _committed.Version));
        }

        if (_pendingOpen is { } opening)
        {
            return AnswerAfter(opening, () => new OpenAccountResult(OpenAccountStatus.AlreadyOpen, _committed.Balance, _committed.Version));
        }

        AccountLedger.Open(_head);
        var result = new OpenAccountResult(OpenAccountStatus.Opened, _head.Balance, _head.Version);
        _pendingOpen = Enlist(operationId: null);
        return AnswerAfter(_pendingOpen, () => result);
    }

    public Task<OperationResult> ExecuteAsync(OperationKind kind, Guid operationId, long amount, DateTimeOffset now, string? counterparty = null)
    {
        ThrowIfFaulted();
        if (_ledger.TryAnswer(_head, kind, operationId, amount, now, out var answer, counterparty))
        {
            // A duplicate of an operation that is decided but not yet durable waits for that write.
            return answer.IsReplay && _pendingOperations.TryGetValue(operationId, out var pending)
                ? AnswerAfter(pending, () => answer)
                : Task.FromResult(answer);
        }

        var result = _ledger.Process(_head, kind, operationId, amount, now, counterparty);
        var batch = Enlist(operationId);
        return AnswerAfter(batch, () => result);
    }

    /// <summary>
    /// Applies an internal state transition (e.g. a transfer completing) through the same batches.
    /// Returns false at once, with no write, when <paramref name="transition"/> changed nothing.
    /// </summary>
    public Task<bool> ApplyAsync(Func<AccountState, bool> transition)
    {
        ArgumentNullException.ThrowIfNull(transition);
        ThrowIfFaulted();
        if (!transition(_head))
        {
            return Task.FromResult(false);
        }

        return AnswerAfter(Enlist(operationId: null), () => true);
    }

    public Task<OperationLookupResult> LookupAsync(Guid operationId, DateTimeOffset now)
    {
        ThrowIfFaulted();
        return _pendingOperations.TryGetValue(operationId, out var pending)
            ? AnswerAfter(pending, () => _ledger.Lookup(_committed, operationId, now))
            : Task.FromResult(_ledger.Lookup(_committed, operationId, now));
    }

    private CommitBatch Enlist(Guid? operationId)
    {
        var batch = _next ??= new CommitBatch();
        batch.Size++;
        if (operationId is { } id)
        {
            batch.OperationIds.Add(id);
            _pendingOperations[id] = batch;
        }

        if (_inFlight is null)
        {
            // Runs synchronously up to the first write; the loop never throws.
            _ = WriteLoopAsync();
        }

        return batch;
    }

    private async Task WriteLoopAsync()
    {
        while (_fault is null && _next is { } batch)
        {
            _next = null;
            _inFlight = batch;
            var snapshot = _head.Clone();
            WritesStarted++;
            AccountMetrics.CommitBatchSize.Record(batch.Size);
            try
            {
                await _persist(snapshot);
            }
            catch (Exception exception)
            {
                Fault(exception);
                return;
            }

            _committed = snapshot;
            _inFlight = null;
            foreach (var id in batch.OperationIds)
            {
                _pendingOperations.Remove(id);
            }

            if (ReferenceEquals(_pendingOpen, batch))
            {
                _pendingOpen = null;
            }

            batch.Succeed();
        }
    }

    private void Fault(Exception exception)
    {
        // Retire first, then tell the callers: none of them may see the failure before the
        // pipeline refuses work and its owner has been told to reload.
        _fault = exception;
        _head = _committed;
        var failed = (_inFlight, _next);
        _inFlight = null;
        _next = null;
        _pendingOpen = null;
        _pendingOperations.Clear();
        _onFault(exception);
        failed.Item1?.Fail(exception);
        failed.Item2?.Fail(exception);
    }

    private void ThrowIfFaulted()
    {
        if (_fault is not null)
        {
            throw new AccountStorageException(
                "The account is reloading after a failed write; nothing was acknowledged. Retry with the same operation ID.");
        }
    }

    private static async Task<T> AnswerAfter<T>(CommitBatch batch, Func<T> answer)
    {
        await batch.Completion;
        return answer();
    }
}
